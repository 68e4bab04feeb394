package core

import "testing"

func TestMentionsNameTheUserAsAWord(t *testing.T) {
	for _, c := range []struct {
		text, self string
		want       bool
	}{
		{"ada: can you check?", "ada", true},
		{"thanks Ada!", "ada", true},
		{"ping @ada", "ada", true},
		{"adam is here", "ada", false},
		{"see lada's notes", "ada", false},
		{"ada_ left", "ada", false},
		{"hi all", "ada", false},
		{"ada", "", false},
		{"… ada …", "ada", true},
	} {
		if got := mentions(c.text, c.self); got != c.want {
			t.Errorf("mentions(%q, %q) = %v, want %v", c.text, c.self, got, c.want)
		}
	}
}
