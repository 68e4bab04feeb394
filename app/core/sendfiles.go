package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"switchboard/connectors"
	"switchboard/internal/attach"
	"switchboard/storage"
)

// outFile is a file the user asked to send, checked on disk.
type outFile struct {
	path string
	in   storage.AttachmentIn
}

// checkFiles makes sure every file can go: the account's network sends
// files, each is a readable regular file, and together they stay within
// the network's limit. Nothing is queued when one fails.
func checkFiles(network string, paths []string) ([]outFile, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	conn, err := connectors.New(network)
	if err != nil {
		return nil, fmt.Errorf("send: network %q: %w", network, err)
	}
	fsend, ok := conn.(connectors.FileSender)
	if !ok {
		return nil, fmt.Errorf("send: %s cannot send files", conn.Info().DisplayName)
	}
	var (
		out   []outFile
		total int64
	)
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("send: file %s: %w", p, err)
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("send: %s is not a regular file", p)
		}
		total += st.Size()
		if limit := fsend.MaxFileBytes(); total > limit {
			return nil, fmt.Errorf("send: the files add up to %s; %s takes at most %s per message",
				attach.Size(total), conn.Info().DisplayName, attach.Size(limit))
		}
		kind, err := mediaType(p)
		if err != nil {
			return nil, fmt.Errorf("send: file %s: %w", p, err)
		}
		out = append(out, outFile{path: p, in: storage.AttachmentIn{Name: filepath.Base(p), Type: kind, Size: st.Size()}})
	}
	return out, nil
}

// mediaType names a file's type by its extension, else by its first bytes.
func mediaType(path string) (string, error) {
	if t := mime.TypeByExtension(strings.ToLower(filepath.Ext(path))); t != "" {
		return t, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", err
	}
	return http.DetectContentType(head[:n]), nil
}

// saveFiles seals the files' bytes into the archive as the pending
// message's attachments, so the outbox sends them from there (also after a
// restart) and the conversation shows them like any other file.
func (c *Core) saveFiles(ctx context.Context, msgRow int64, files []outFile) error {
	atts, err := c.store.Attachments(ctx, msgRow)
	if err != nil {
		return err
	}
	if len(atts) != len(files) {
		return fmt.Errorf("the archive lists %d files, %d were given", len(atts), len(files))
	}
	for i, a := range atts {
		f, err := os.Open(files[i].path)
		if err != nil {
			return fmt.Errorf("file %s: %w", files[i].path, err)
		}
		_, err = c.store.SaveAttachment(ctx, a.ID, io.LimitReader(f, files[i].in.Size+1))
		f.Close()
		if err != nil {
			return fmt.Errorf("file %s: %w", files[i].path, err)
		}
	}
	return nil
}

// outFiles gives the connector the message's files, read from the
// archive; ready is false while they are still being stored.
func (c *Core) outFiles(ctx context.Context, msgRow int64) (files []connectors.OutFile, ready bool, err error) {
	atts, err := c.store.Attachments(ctx, msgRow)
	if err != nil {
		return nil, false, err
	}
	for _, a := range atts {
		switch a.State {
		case storage.AttachPending:
			return nil, false, nil
		case storage.AttachFailed:
			return nil, true, fmt.Errorf("the file %s could not be stored: %s", a.Name, a.Error)
		}
		id := a.ID
		files = append(files, connectors.OutFile{Name: a.Name, Type: a.Type, Size: a.Size, Open: func() (io.ReadCloser, error) {
			_, rc, err := c.store.OpenAttachment(ctx, id)
			return rc, err
		}})
	}
	return files, true, nil
}
