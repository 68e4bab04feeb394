package storage

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"
)

// corpus generates a synthetic archive: Zipf-distributed words from a
// fixed vocabulary, ~110-byte bodies, spread over convs conversations.
type corpus struct {
	vocab []string
	zipf  *rand.Zipf
	rng   *rand.Rand
	convs int
}

func newCorpus(seed uint64, convs int) *corpus {
	rng := rand.New(rand.NewPCG(seed, 42))
	const syll = "ka lo mi ne su ta ri po ve du an el or is um ba ce fi go hu"
	parts := strings.Fields(syll)
	vocab := make([]string, 50000)
	seen := map[string]bool{}
	for i := range vocab {
		for {
			var b strings.Builder
			for range 1 + rng.IntN(4) {
				b.WriteString(parts[rng.IntN(len(parts))])
			}
			if w := b.String(); !seen[w] {
				seen[w] = true
				vocab[i] = w
				break
			}
		}
	}
	return &corpus{vocab: vocab, zipf: rand.NewZipf(rng, 1.1, 1, uint64(len(vocab)-1)), rng: rng, convs: convs}
}

// body returns a ~110-byte message text.
func (c *corpus) body() string {
	var b strings.Builder
	for b.Len() < 105 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c.vocab[c.zipf.Uint64()])
	}
	return b.String()
}

// record returns the i-th message of the corpus.
func (c *corpus) record(i int) ExportRecord {
	conv := c.rng.IntN(c.convs)
	dir := In
	sender := fmt.Sprintf("user%d", conv)
	if c.rng.IntN(3) == 0 {
		dir, sender = Out, "me"
	}
	return ExportRecord{Network: "irc", Account: fmt.Sprintf("acct%d", conv%3), Conversation: fmt.Sprintf("conv%d", conv),
		ConversationTitle: fmt.Sprintf("Conversation %d", conv), Sender: sender, SenderName: strings.ToUpper(sender),
		RemoteID: fmt.Sprintf("m%d", i), Time: time.Unix(1700000000+int64(i)*7, 0).UTC(), Direction: dir, Text: c.body()}
}

// writeJSONL streams n records.
func (c *corpus) writeJSONL(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	for i := range n {
		if err := enc.Encode(c.record(i)); err != nil {
			return err
		}
	}
	return bw.Flush()
}
