package assets

import (
	"bytes"
	"image/png"
	"testing"

	"switchboard/connectors"
	_ "switchboard/connectors/all"
)

func TestEveryNetworkIconIsItsOwnSVG(t *testing.T) {
	seen := map[string]bool{}
	for _, n := range Icons() {
		r := Icon(n)
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
	if Icon("no-such-network") != AppIcon() || Icon("") != AppIcon() {
		t.Error("an unknown or empty icon name should fall back to the app icon")
	}
}

// Every network this build speaks names an icon that is bundled.
func TestEveryConnectorNamesABundledIcon(t *testing.T) {
	for _, n := range connectors.Networks() {
		c, err := connectors.New(n)
		if err != nil {
			t.Fatal(err)
		}
		info := c.Info()
		if info.Icon == "" || Icon(info.Icon) == AppIcon() {
			t.Errorf("%s names icon %q, which is not bundled (have %v)", n, info.Icon, Icons())
		}
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
