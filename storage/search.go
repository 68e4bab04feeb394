package storage

import (
	"context"
	"fmt"
	"slices"
	"sort"
)

// postingSource is one token's posting rows, read lazily.
type postingSource struct {
	tok     int64
	mem     []int64   // buffered rows (ascending; newest)
	segs    []segMeta // posting rows, ascending by first
	decoded map[int][]int64
	total   int64
}

type segMeta struct {
	first, last, n int64
	blob           []byte
}

func (s *Store) loadSource(ctx context.Context, tok int64) (*postingSource, error) {
	p := &postingSource{tok: tok, mem: s.index.get(tok), decoded: map[int][]int64{}}
	p.total = int64(len(p.mem))
	// Posting rows are small (≤ segMaxBytes) and read in one range scan;
	// they are decoded only when the search reaches them.
	rows, err := s.rdb.QueryContext(ctx, `SELECT first, last, n, ids FROM postings WHERE tok = ? ORDER BY first`, tok)
	if err != nil {
		return nil, fmt.Errorf("storage: search: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m segMeta
		if err := rows.Scan(&m.first, &m.last, &m.n, &m.blob); err != nil {
			return nil, fmt.Errorf("storage: search: %w", err)
		}
		p.segs = append(p.segs, m)
		p.total += m.n
	}
	return p, rows.Err()
}

func (s *Store) segment(p *postingSource, i int) ([]int64, error) {
	if ids, ok := p.decoded[i]; ok {
		return ids, nil
	}
	ids, err := decodePostings(p.segs[i].blob)
	if err != nil {
		return nil, err
	}
	p.decoded[i] = ids
	return ids, nil
}

// contains reports whether the token's postings include message id.
func (s *Store) contains(ctx context.Context, p *postingSource, id int64) (bool, error) {
	if _, ok := slices.BinarySearch(p.mem, id); ok {
		return true, nil
	}
	// Rows are disjoint ranges ascending by first (a flush racing with the
	// search can briefly duplicate memory rows, never split a row).
	i := sort.Search(len(p.segs), func(i int) bool { return p.segs[i].first > id }) - 1
	if i < 0 || p.segs[i].last < id {
		return false, nil
	}
	ids, err := s.segment(p, i)
	if err != nil {
		return false, err
	}
	_, ok := slices.BinarySearch(ids, id)
	return ok, nil
}

// candidates yields message rows containing every token, newest first,
// calling yield with chunks until it returns false.
func (s *Store) candidates(ctx context.Context, srcs []*postingSource, chunkSize int, yield func([]int64) (bool, error)) error {
	slices.SortFunc(srcs, func(a, b *postingSource) int { return int(min(max(a.total-b.total, -1), 1)) })
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
	for i := len(driver.segs) - 1; more && err == nil && i >= 0; i-- {
		var ids []int64
		if ids, err = s.segment(driver, i); err == nil {
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
			if p.total == 0 {
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
	rows, err := s.rdb.QueryContext(ctx, `SELECT c.id, c.body FROM json_each(?) j CROSS JOIN conversations c ON c.id = j.value`, idList(ids))
	if err != nil {
		return fmt.Errorf("storage: search: conversations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var body []byte
		if err := rows.Scan(&id, &body); err != nil {
			return fmt.Errorf("storage: search: conversations: %w", err)
		}
		rid, title, err := s.openConv(id, body)
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
