package connectors

// Capability names one optional thing a network can do beyond connecting
// and sending. The core lists them per account (AccountStatus.Capabilities)
// so the window and scripts offer only the actions that work; they are
// stable words on the control socket.
type Capability string

const (
	CapHistory     Capability = "history"     // Historian: older messages from the server
	CapBlock       Capability = "block"       // Blocker
	CapUnsubscribe Capability = "unsubscribe" // Unsubscriber
	CapTyping      Capability = "typing"      // Typer
	CapJoin        Capability = "join"        // Joiner
	CapMarkers     Capability = "markers"     // Marker: read markers sent to the network
	CapOriginal    Capability = "original"    // Originaler: the whole original of a message
	CapSubject     Capability = "subject"     // Subjecter: messages carry a subject line
	CapSendFiles   Capability = "send-files"  // FileSender
	CapAttachments Capability = "attachments" // AttachmentFetcher: received files downloaded
	CapSignIn      Capability = "sign-in"     // SignInner: signs in with steps beyond a password (code, QR, browser)
)

// CapabilitiesOf lists the capabilities a connector value implements, in
// the order of the constants above.
func CapabilitiesOf(c Connector) []Capability {
	var out []Capability
	for _, k := range []struct {
		cap Capability
		has bool
	}{
		{CapHistory, is[Historian](c)},
		{CapBlock, is[Blocker](c)},
		{CapUnsubscribe, is[Unsubscriber](c)},
		{CapTyping, is[Typer](c)},
		{CapJoin, is[Joiner](c)},
		{CapMarkers, is[Marker](c)},
		{CapOriginal, is[Originaler](c)},
		{CapSubject, is[Subjecter](c)},
		{CapSendFiles, is[FileSender](c)},
		{CapAttachments, is[AttachmentFetcher](c)},
		{CapSignIn, is[SignInner](c)},
	} {
		if k.has {
			out = append(out, k.cap)
		}
	}
	return out
}

func is[T any](v any) bool {
	_, ok := v.(T)
	return ok
}
