package assets

import (
	"bytes"
	"image/png"
	"testing"
)

func TestEveryNetworkHasItsOwnSVGIcon(t *testing.T) {
	seen := map[string]bool{}
	for _, n := range Networks() {
		r := Network(n)
		if r == AppIcon() {
			t.Errorf("%s has no icon of its own", n)
		}
		if seen[r.Name()] {
			t.Errorf("%s shares icon %s", n, r.Name())
		}
		seen[r.Name()] = true
		if !bytes.Contains(r.Content(), []byte("<svg")) {
			t.Errorf("%s: %s is not an SVG", n, r.Name())
		}
	}
	if Network("no-such-network") != AppIcon() {
		t.Error("an unknown network should fall back to the app icon")
	}
}

func TestAppIconPNGIsSquare512(t *testing.T) {
	img, err := png.Decode(bytes.NewReader(AppIconPNG().Content()))
	if err != nil {
		t.Fatalf("decode Icon.png: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 512 || b.Dy() != 512 {
		t.Fatalf("Icon.png is %dx%d, want 512x512", b.Dx(), b.Dy())
	}
}
