package cli

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestASCIIOutputUnderTheCLocale(t *testing.T) {
	var b bytes.Buffer
	w := &asciiWriter{w: &b}
	in := "Zoë — “quoted” … café → 東京 ✓"
	// Byte by byte: a character split across writes is still one character.
	for i := 0; i < len(in); i++ {
		w.Write([]byte{in[i]})
	}
	if got, want := b.String(), `Zoe - "quoted" ... cafe -> ?? v`; got != want {
		t.Fatalf("ascii = %q, want %q", got, want)
	}
	for env, want := range map[string]bool{"C": false, "POSIX": false, "": false, "C.UTF-8": true, "en_US.utf8": true, "de_DE.ISO-8859-1": false} {
		if got := utf8Locale(func(k string) string {
			if k == "LANG" {
				return env
			}
			return ""
		}); got != want {
			t.Errorf("LANG=%q: UTF-8 %v, want %v", env, got, want)
		}
	}
}

func TestJSONUnderTheCLocaleIsASCIIAndLossless(t *testing.T) {
	var b bytes.Buffer
	v := map[string]string{"text": "Zoë 東京 😀 \"q\""}
	if err := writeJSON(&asciiWriter{w: &b}, v); err != nil {
		t.Fatal(err)
	}
	for _, c := range b.Bytes() {
		if c >= 0x80 {
			t.Fatalf("not ASCII: %q", b.String())
		}
	}
	var back map[string]string
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back["text"] != v["text"] {
		t.Fatalf("round trip: %q, %v", back["text"], err)
	}
}
