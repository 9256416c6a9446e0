package digest

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// window returns the stories of the articles published after since (in
// scope when scope is set; the others are returned apart), clustered but
// not ranked. With a FeatureStore and a KeepingClusterer it reads no text
// but those of the articles new to clustering and of the stories' leads
// (which ranking and summarising read), and clusters the new articles
// against the stories of the last run; keep saves the stories it makes as
// the ones the next run starts from (a run over the whole edition window,
// not a scoped or weekly one, whose stories would not be the window's).
func (e *Engine) window(ctx context.Context, since time.Time, scope *Scope, rep *Report, keep bool) ([]Story, []Article, error) {
	fs, okStore := e.Store.(FeatureStore)
	kc, okCluster := e.Clusterer.(KeepingClusterer)
	if !okStore || !okCluster {
		articles, err := e.Store.ArticlesSince(ctx, since)
		if err != nil {
			return nil, nil, fmt.Errorf("load articles: %w", err)
		}
		var outOfScope []Article
		if scope != nil {
			articles, outOfScope = scope.filter(articles, rep)
		}
		stories, err := e.Clusterer.Cluster(ctx, articles)
		if err != nil {
			return nil, nil, fmt.Errorf("cluster articles: %w", err)
		}
		return stories, outOfScope, nil
	}
	rows, err := fs.KeptArticlesSince(ctx, since)
	if err != nil {
		return nil, nil, fmt.Errorf("load articles: %w", err)
	}
	var outOfScope []Article
	if scope != nil {
		articles := make([]Article, len(rows))
		for i, r := range rows {
			articles[i] = r.Article
		}
		var in []Article
		in, outOfScope = scope.filter(articles, rep)
		ids := make(map[int64]bool, len(in))
		for _, a := range in {
			ids[a.ID] = true
		}
		rows = slices.DeleteFunc(rows, func(r KeptArticle) bool { return !ids[r.Article.ID] })
	}
	articles := make([]Article, len(rows))
	features := make([][]byte, len(rows))
	prior := make([]int64, len(rows))
	var unread []int64
	for i, r := range rows {
		articles[i], features[i], prior[i] = r.Article, r.Features, r.Story
		if !kc.KeptCurrent(r.Features) {
			unread = append(unread, r.Article.ID)
		}
	}
	texts, err := fs.ArticleTexts(ctx, unread)
	if err != nil {
		return nil, nil, fmt.Errorf("load articles: %w", err)
	}
	for i := range articles {
		if text, ok := texts[articles[i].ID]; ok {
			articles[i].Text = text
		}
	}
	stories, fresh, err := kc.ClusterKept(ctx, articles, features, prior)
	if err != nil {
		return nil, nil, fmt.Errorf("cluster articles: %w", err)
	}
	var save []KeptArticle
	for i, f := range fresh {
		if f != nil {
			save = append(save, KeptArticle{Article: Article{ID: articles[i].ID}, Features: f, Story: prior[i]})
		}
	}
	if keep {
		save = storyChanges(stories, rows, save)
	}
	if err := fs.SaveKept(ctx, save); err != nil {
		// The features are a cache: the next run reads the texts again.
		e.log().Warn("keep clustering features", "articles", len(save), "error", err)
	}
	if err := e.leadTexts(ctx, fs, stories); err != nil {
		return nil, nil, err
	}
	return stories, outOfScope, nil
}

// storyChanges adds to save the articles whose story (the smallest article
// ID of it) is not the one kept for them, and sets it on those save has.
func storyChanges(stories []Story, rows []KeptArticle, save []KeptArticle) []KeptArticle {
	kept := make(map[int64]int64, len(rows))
	for _, r := range rows {
		kept[r.Article.ID] = r.Story
	}
	saving := make(map[int64]int, len(save))
	for i, k := range save {
		saving[k.Article.ID] = i
	}
	for _, st := range stories {
		label := st.Articles[0].ID
		for _, a := range st.Articles {
			label = min(label, a.ID)
		}
		for _, a := range st.Articles {
			if i, ok := saving[a.ID]; ok {
				save[i].Story = label
			} else if kept[a.ID] != label {
				save = append(save, KeptArticle{Article: Article{ID: a.ID}, Story: label})
			}
		}
	}
	return save
}

// leadTexts loads the texts of the stories' leads that lack them: ranking
// and summarising read the lead's text only.
func (e *Engine) leadTexts(ctx context.Context, fs FeatureStore, stories []Story) error {
	var ids []int64
	for _, st := range stories {
		if a := st.Articles[0]; a.Text == "" {
			ids = append(ids, a.ID)
		}
	}
	texts, err := fs.ArticleTexts(ctx, ids)
	if err != nil {
		return fmt.Errorf("load lead texts: %w", err)
	}
	for i := range stories {
		if a := &stories[i].Articles[0]; a.Text == "" {
			a.Text = texts[a.ID]
		}
	}
	return nil
}
