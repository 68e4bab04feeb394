// Package earlylocale runs before Fyne's packages are initialised and
// keeps them from logging "Fyne error: Error parsing user locale C" on
// every command under the C locale (LANG=C.UTF-8, as cron and many
// containers have).
//
// Fyne's lang package reads the locale in its init and logs when the
// language part is "C". Package initialisation order is by import path
// among the packages whose imports are done (the Go spec, since 1.21),
// so this package lives in its own tiny module whose path, "earlylocale",
// sorts before "fyne.io": main imports it, and it runs first. It is a
// separate module because every package of ours is "switchboard/...",
// which sorts after Fyne.
package earlylocale

import "os"

func init() { Fix(os.Getenv, os.Setenv) }

// Fix makes a C or POSIX locale (with a codeset, such as C.UTF-8) read as
// plain English for translation look-ups only: it sets LANGUAGE=en, which
// the C library ignores under the C locale, so nothing else changes for
// this process or its children. A LANGUAGE the user set is kept.
func Fix(getenv func(string) string, setenv func(string, string) error) {
	if getenv("LANGUAGE") != "" {
		return
	}
	loc := ""
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc = getenv(k); loc != "" {
			break
		}
	}
	for _, c := range []string{"C.", "POSIX."} {
		if len(loc) > len(c) && loc[:len(c)] == c {
			_ = setenv("LANGUAGE", "en")
			return
		}
	}
}
