package trafilatura

var (
	listXmlListTags    = []string{"ul", "ol", "dl"}
	listXmlQuoteTags   = []string{"blockquote", "pre", "q"}
	listXmlHeadTags    = []string{"h1", "h2", "h3", "h4", "h5", "h6", "summary"}
	listXmlLbTags      = []string{"br", "hr", "lb"}
	listXmlHiTags      = []string{"em", "i", "b", "strong", "u", "kbd", "samp", "tt", "var", "sub", "sup", "mark"}
	listXmlRefTags     = []string{"a"}
	listXmlGraphicTags = []string{"img"}
	listXmlItemTags    = []string{"dd", "dt", "li"}
	listXmlCellTags    = []string{"th", "td"}
)

var (
	mapXmlListTags = lazyValue[map[string]struct{}]{build: func() map[string]struct{} {
		return sliceToMap(listXmlListTags...)
	}}
	mapXmlQuoteTags = lazyValue[map[string]struct{}]{build: func() map[string]struct{} {
		return sliceToMap(listXmlQuoteTags...)
	}}
	mapXmlHeadTags = lazyValue[map[string]struct{}]{build: func() map[string]struct{} {
		return sliceToMap(listXmlHeadTags...)
	}}
	mapXmlLbTags = lazyValue[map[string]struct{}]{build: func() map[string]struct{} {
		return sliceToMap(listXmlLbTags...)
	}}
	mapXmlHiTags = lazyValue[map[string]struct{}]{build: func() map[string]struct{} {
		return sliceToMap(listXmlHiTags...)
	}}
	mapXmlRefTags = lazyValue[map[string]struct{}]{build: func() map[string]struct{} {
		return sliceToMap(listXmlRefTags...)
	}}
	mapXmlGraphicTags = lazyValue[map[string]struct{}]{build: func() map[string]struct{} {
		return sliceToMap(listXmlGraphicTags...)
	}}
	mapXmlItemTags = lazyValue[map[string]struct{}]{build: func() map[string]struct{} {
		return sliceToMap(listXmlItemTags...)
	}}
	mapXmlCellTags = lazyValue[map[string]struct{}]{build: func() map[string]struct{} {
		return sliceToMap(listXmlCellTags...)
	}}
)
