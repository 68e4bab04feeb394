package ui

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"switchboard/storage"
)

// Pure helpers for a message's files: the lines the chat text lists them
// with, their sizes and names, and the icon for their type.

// humanSize formats a byte count the way the e-mail connector writes it
// in the "[attachment: NAME (SIZE)]" lines; "" when the size is unknown.
func humanSize(n int64) string {
	switch {
	case n < 0:
		return ""
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.0f KB", float64(n)/1000)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}

// visibleText is the part of a message's text the chat shows: the text
// without the lines that list files the message shows as attachments.
func visibleText(m storage.Message) string {
	return hideAttachmentLines(m.Text, m.Attachments)
}

// hideAttachmentLines drops the "[attachment: NAME (SIZE)]" lines whose
// NAME is one of atts, and the blank lines this leaves at the end. Any
// other text, a line naming a file not in atts included, is kept as is.
func hideAttachmentLines(text string, atts []storage.Attachment) string {
	if len(atts) == 0 || !strings.Contains(text, "[attachment: ") {
		return text
	}
	names := make(map[string]bool, len(atts))
	for _, a := range atts {
		names[a.Name] = true
	}
	lines := strings.Split(text, "\n")
	kept := lines[:0:0]
	for _, l := range lines {
		if !isAttachmentLine(l, names) {
			kept = append(kept, l)
		}
	}
	if len(kept) == len(lines) {
		return text
	}
	return strings.TrimRightFunc(strings.Join(kept, "\n"), unicode.IsSpace)
}

// isAttachmentLine: l is "[attachment: NAME (SIZE)]" with NAME in names
// and SIZE as humanSize writes it.
func isAttachmentLine(l string, names map[string]bool) bool {
	rest, ok := strings.CutPrefix(strings.TrimRight(l, "\r"), "[attachment: ")
	if !ok {
		return false
	}
	if rest, ok = strings.CutSuffix(rest, ")]"); !ok {
		return false
	}
	i := strings.LastIndex(rest, " (")
	if i < 0 {
		return false
	}
	return names[rest[:i]] && isHumanSize(rest[i+2:])
}

func isHumanSize(s string) bool {
	num, unit, ok := strings.Cut(s, " ")
	if !ok {
		return false
	}
	switch unit {
	case "B", "KB", "MB", "GB":
	default:
		return false
	}
	_, err := strconv.ParseFloat(num, 64)
	return err == nil
}

// maxFileName bounds a suggested file name, in bytes.
const maxFileName = 200

// safeFileName makes an attachment's name safe to suggest in a save
// dialog: no path separators, control or invisible formatting characters
// (a right-to-left override can disguise "exe.pdf"), no leading dots or
// spaces, at most maxFileName bytes keeping the extension; "attachment"
// when nothing is left.
func safeFileName(name string) string {
	name = strings.ToValidUTF8(name, "_")
	name = strings.Map(func(r rune) rune {
		switch {
		case r == '/' || r == '\\':
			return '_'
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return -1
		}
		return r
	}, name)
	name = strings.TrimRightFunc(strings.TrimLeftFunc(name, func(r rune) bool {
		return r == '.' || unicode.IsSpace(r)
	}), unicode.IsSpace)
	if len(name) > maxFileName {
		ext := ""
		if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 16 {
			ext = name[i:]
		}
		name = cutBytes(name[:len(name)-len(ext)], maxFileName-len(ext)) + ext
	}
	if name == "" {
		return "attachment"
	}
	return name
}

// cutBytes shortens s to at most n bytes on a rune boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// attachmentName is how a file is named in the chat.
func attachmentName(a storage.Attachment) string {
	if strings.TrimSpace(a.Name) == "" {
		return "Unnamed file"
	}
	return a.Name
}

// fileIcon picks an icon by media type.
func fileIcon(mediaType string) fyne.Resource {
	major, _, _ := strings.Cut(strings.ToLower(mediaType), "/")
	switch major {
	case "image":
		return theme.FileImageIcon()
	case "video":
		return theme.FileVideoIcon()
	case "audio":
		return theme.FileAudioIcon()
	case "text":
		return theme.FileTextIcon()
	case "application":
		return theme.FileApplicationIcon()
	}
	return theme.FileIcon()
}

// fitText cuts s with an ellipsis so that it is at most w wide.
func fitText(s string, size float32, style fyne.TextStyle, w float32) string {
	if fyne.MeasureText(s, size, style).Width <= w {
		return s
	}
	r := []rune(s)
	lo, hi := 0, len(r) // the longest prefix that fits lies in [lo, hi)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fyne.MeasureText(string(r[:mid])+"…", size, style).Width <= w {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return string(r[:lo]) + "…"
}
