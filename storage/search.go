package storage

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
)

// postingSource is one token's postings, read lazily newest first: the
// memory buffer, then posting rows in pages of pageRows (descending), and
// single rows on demand when a candidate needs checking.
type postingSource struct {
	tok      int64
	mem      []int64   // buffered rows (ascending; the newest messages)
	rows     []segMeta // fetched rows, descending by first
	complete bool      // every row of the token has been fetched
	extra    []segMeta // rows fetched one by one for membership checks
	est      float64   // estimated number of postings (for picking the driver)
}

type segMeta struct {
	first, last, n int64
	blob           []byte
	ids            []int64 // decoded on first use
}

const pageRows = 16

func (m *segMeta) decoded() ([]int64, error) {
	if m.ids == nil {
		ids, err := decodePostings(m.blob)
		if err != nil {
			return nil, err
		}
		m.ids = ids
	}
	return m.ids, nil
}

func scanSegs(rows *sql.Rows) ([]segMeta, error) {
	defer rows.Close()
	var out []segMeta
	for rows.Next() {
		var m segMeta
		if err := rows.Scan(&m.first, &m.last, &m.n, &m.blob); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// fetchPage reads the next page of older posting rows.
func (s *Store) fetchPage(ctx context.Context, p *postingSource) error {
	before := int64(math.MaxInt64)
	if len(p.rows) > 0 {
		before = p.rows[len(p.rows)-1].first
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT first, last, n, ids FROM postings WHERE tok = ? AND first < ?
		ORDER BY first DESC LIMIT ?`, p.tok, before, pageRows)
	if err != nil {
		return fmt.Errorf("storage: search: %w", err)
	}
	segs, err := scanSegs(rows)
	if err != nil {
		return fmt.Errorf("storage: search: %w", err)
	}
	p.rows = append(p.rows, segs...)
	p.complete = len(segs) < pageRows
	return nil
}

func (s *Store) loadSource(ctx context.Context, tok int64) (*postingSource, error) {
	p := &postingSource{tok: tok, mem: s.index.get(tok)}
	if err := s.fetchPage(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// estimate guesses a token's posting count from its first page, scaling
// by the share of the ID space the page covers.
func (p *postingSource) estimate(newest int64) {
	sum := int64(len(p.mem))
	for _, r := range p.rows {
		sum += r.n
	}
	p.est = float64(sum)
	if !p.complete && len(p.rows) > 0 {
		covered := max(newest-p.rows[len(p.rows)-1].first, 1)
		p.est *= float64(newest) / float64(covered)
	}
}

// contains reports whether the token's postings include message id.
func (s *Store) contains(ctx context.Context, p *postingSource, id int64) (bool, error) {
	if _, ok := slices.BinarySearch(p.mem, id); ok {
		return true, nil
	}
	seg := findSeg(p.rows, id)
	if seg == nil {
		seg = findSeg(p.extra, id)
	}
	if seg == nil {
		// Rows are disjoint: fetched pages cover every row newer than the
		// oldest one fetched.
		if p.complete || (len(p.rows) > 0 && id >= p.rows[len(p.rows)-1].first) {
			return false, nil
		}
		rows, err := s.rdb.QueryContext(ctx, `SELECT first, last, n, ids FROM postings WHERE tok = ? AND first <= ?
			ORDER BY first DESC LIMIT 1`, p.tok, id)
		if err != nil {
			return false, fmt.Errorf("storage: search: %w", err)
		}
		segs, err := scanSegs(rows)
		if err != nil {
			return false, fmt.Errorf("storage: search: %w", err)
		}
		if len(segs) == 0 || segs[0].last < id {
			return false, nil
		}
		p.extra = append(p.extra, segs[0])
		seg = &p.extra[len(p.extra)-1]
	}
	ids, err := seg.decoded()
	if err != nil {
		return false, err
	}
	_, ok := slices.BinarySearch(ids, id)
	return ok, nil
}

func findSeg(segs []segMeta, id int64) *segMeta {
	for i := range segs {
		if segs[i].first <= id && id <= segs[i].last {
			return &segs[i]
		}
	}
	return nil
}

// candidates yields message rows containing every token, newest first,
// calling yield with chunks until it returns false.
func (s *Store) candidates(ctx context.Context, srcs []*postingSource, chunkSize int, yield func([]int64) (bool, error)) error {
	var newest int64
	for _, p := range srcs {
		if len(p.mem) > 0 {
			newest = max(newest, p.mem[len(p.mem)-1])
		}
		if len(p.rows) > 0 {
			newest = max(newest, p.rows[0].last)
		}
	}
	for _, p := range srcs {
		p.estimate(newest)
	}
	slices.SortFunc(srcs, func(a, b *postingSource) int { return cmp.Compare(a.est, b.est) })
	driver, others := srcs[0], srcs[1:]
	var chunk []int64
	seen := map[int64]bool{}
	emit := func(ids []int64) (bool, error) {
		for i := len(ids) - 1; i >= 0; i-- {
			id := ids[i]
			if seen[id] {
				continue
			}
			seen[id] = true
			all := true
			for _, o := range others {
				ok, err := s.contains(ctx, o, id)
				if err != nil {
					return false, err
				}
				if !ok {
					all = false
					break
				}
			}
			if !all {
				continue
			}
			chunk = append(chunk, id)
			if len(chunk) >= chunkSize {
				more, err := yield(chunk)
				chunk = nil
				if !more || err != nil {
					return false, err
				}
			}
		}
		return true, nil
	}
	more, err := emit(driver.mem)
	for i := 0; more && err == nil; i++ {
		if i == len(driver.rows) {
			if driver.complete {
				break
			}
			if err = s.fetchPage(ctx, driver); err != nil || i == len(driver.rows) {
				break
			}
		}
		var ids []int64
		if ids, err = driver.rows[i].decoded(); err == nil {
			more, err = emit(ids)
		}
	}
	if err != nil || !more || len(chunk) == 0 {
		return err
	}
	_, err = yield(chunk)
	return err
}

// Search finds delivered messages containing every query word (as a word
// or a word prefix; CJK as a substring), newest first.
func (s *Store) Search(ctx context.Context, query string, limit, offset int) ([]SearchHit, error) {
	qs := parseQuery(query)
	if len(qs) == 0 {
		return nil, nil
	}
	if limit <= 0 {
		limit = 50
	}
	seenTok := map[int64]bool{}
	var srcs []*postingSource
	for _, q := range qs {
		for _, tok := range q.tokens {
			tag := s.tags.words.tag(tok)
			if seenTok[tag] {
				continue
			}
			seenTok[tag] = true
			p, err := s.loadSource(ctx, tag)
			if err != nil {
				return nil, err
			}
			if len(p.mem) == 0 && len(p.rows) == 0 {
				return nil, nil
			}
			srcs = append(srcs, p)
		}
	}
	var hits []SearchHit
	skip := max(offset, 0)
	err := s.candidates(ctx, srcs, min(limit+skip, 500), func(ids []int64) (bool, error) {
		msgs, err := s.messagesByID(ctx, ids)
		if err != nil {
			return false, err
		}
		for _, id := range ids {
			m, ok := msgs[id]
			if !ok || m.Hold != Delivered || !matches(normalize(m.Text), qs) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			hits = append(hits, SearchHit{Message: m})
			if len(hits) == limit {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: search: %w", err)
	}
	return hits, s.fillConvInfo(ctx, hits)
}

// fillConvInfo adds conversation titles and remote IDs to search hits.
func (s *Store) fillConvInfo(ctx context.Context, hits []SearchHit) error {
	if len(hits) == 0 {
		return nil
	}
	type info struct{ rid, title string }
	convs := map[int64]info{}
	var ids []int64
	for _, h := range hits {
		if _, ok := convs[h.ConvRow]; !ok {
			convs[h.ConvRow] = info{}
			ids = append(ids, h.ConvRow)
		}
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT c.id, c.account_id, c.remote_tag, c.body
		FROM json_each(?) j CROSS JOIN conversations c ON c.id = j.value`, idList(ids))
	if err != nil {
		return fmt.Errorf("storage: search: conversations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, acct, tag int64
		var body []byte
		if err := rows.Scan(&id, &acct, &tag, &body); err != nil {
			return fmt.Errorf("storage: search: conversations: %w", err)
		}
		rid, title, err := s.openConv(id, acct, tag, body)
		if err != nil {
			return err
		}
		convs[id] = info{rid, title}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("storage: search: conversations: %w", err)
	}
	for i := range hits {
		c := convs[hits[i].ConvRow]
		hits[i].ConvRemoteID, hits[i].ConvTitle = c.rid, c.title
	}
	return nil
}
