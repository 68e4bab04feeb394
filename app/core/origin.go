package core

// originName returns a conversation's origin network as the connector
// gave it when it is a plain network name (lower-case letters, digits and
// '-', up to 32), else "": the value becomes a clear database column and
// an icon name, so nothing else gets through.
func originName(s string) string {
	if len(s) == 0 || len(s) > 32 {
		return ""
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return ""
		}
	}
	return s
}
