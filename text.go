package triage

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxTextBytes bounds one complaint text; longer input is rejected, not
// truncated.
const MaxTextBytes = 64 << 10

// Errors of complaint texts.
var (
	ErrEmptyText   = NewError(EINVALID, "empty text")
	ErrTextTooLong = NewError(ETOOLARGE, "text too long")
	ErrInvalidUTF8 = NewError(EINVALID, "text is not valid UTF-8")
	ErrNUL         = NewError(EINVALID, "text contains a NUL character")
)

// CheckText rejects text that is not valid UTF-8, blank, or longer than
// MaxTextBytes.
func CheckText(text string) error {
	switch {
	case !utf8.ValidString(text):
		return ErrInvalidUTF8
	case strings.ContainsRune(text, 0):
		return ErrNUL
	case !strings.ContainsFunc(text, visible):
		// Spaces, NULs, zero-width and other control or format characters
		// say nothing.
		return ErrEmptyText
	case len(text) > MaxTextBytes:
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTextTooLong, len(text), MaxTextBytes)
	}
	return nil
}

// visible reports whether r shows on a page: not a space, a control
// character (NUL among them) or a format character (zero-width space and
// joiners, bidi marks).
func visible(r rune) bool {
	return !unicode.IsSpace(r) && !unicode.IsControl(r) && !unicode.Is(unicode.Cf, r)
}
