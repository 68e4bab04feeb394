package ui

import (
	"strconv"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"switchboard/storage"
)

// Pure helpers for a message's files: the lines the chat text lists them
// with, their sizes and names, and the icon for their type.

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
// and SIZE as attach.Size writes it.
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
