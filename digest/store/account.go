package store

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"fmt"
	"io"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/parallel"
)

// runAccountChunk is how many lines of a run's account one row of
// run_account holds: big enough for DEFLATE to find the repeats between
// lines (outlet, story title, detail), small enough that a chunk's JSON is
// a few hundred KB.
const runAccountChunk = 500

// accountWriter encodes chunks of a run's account, reusing its compressor
// (each new one allocates ~600 KB).
type accountWriter struct {
	buf bytes.Buffer
	zw  *flate.Writer
}

// encode returns lines as JSON, one a line, compressed.
func (w *accountWriter) encode(lines []digest.ArticleFate) ([]byte, error) {
	w.buf.Reset()
	if w.zw == nil {
		// BestSpeed: the account is written on every run and read
		// rarely. On the account of a first run at 800 feeds (40,000
		// lines, 15.2 MB of JSON) it gives 6.3x in 81 ms; the default
		// level 7.0x in 165 ms.
		zw, err := flate.NewWriter(&w.buf, flate.BestSpeed)
		if err != nil {
			return nil, err
		}
		w.zw = zw
	} else {
		w.zw.Reset(&w.buf)
	}
	enc := json.NewEncoder(w.zw)
	for i := range lines {
		if err := enc.Encode(&lines[i]); err != nil {
			return nil, fmt.Errorf("encode line %d: %w", i, err)
		}
	}
	if err := w.zw.Close(); err != nil {
		return nil, err
	}
	return bytes.Clone(w.buf.Bytes()), nil
}

// encodeAccount encodes a run's account, a chunk (runAccountChunk lines)
// a row of run_account, the chunks on every processor and before the
// transaction that saves them: encoding the 10,000 lines of a first run at
// 200 feeds one chunk after another, with the store's write lock held,
// made a save take 21-23 ms, and 13-14 ms so (BenchmarkDB_SaveRun).
func encodeAccount(lines []digest.ArticleFate) ([][]byte, error) {
	n := (len(lines) + runAccountChunk - 1) / runAccountChunk
	out := make([][]byte, n)
	errs := make([]error, n)
	writers := make([]accountWriter, parallel.LargeWorkers(n))
	parallel.EachLarge(n, func(w, c int) {
		out[c], errs[c] = writers[w].encode(lines[c*runAccountChunk : min((c+1)*runAccountChunk, len(lines))])
	})
	for c, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("account chunk %d: %w", c, err)
		}
	}
	return out, nil
}

// decodeAccount appends the lines of one chunk of run_account to out.
func decodeAccount(out []digest.ArticleFate, chunk []byte) ([]digest.ArticleFate, error) {
	zr := flate.NewReader(bytes.NewReader(chunk))
	defer zr.Close()
	dec := json.NewDecoder(zr)
	for {
		var f digest.ArticleFate
		err := dec.Decode(&f)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("decode account line %d: %w", len(out), err)
		}
		out = append(out, f)
	}
}
