package triage

import (
	"fmt"
	"strings"
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
)

// CheckText rejects text that is not valid UTF-8, blank, or longer than
// MaxTextBytes.
func CheckText(text string) error {
	switch {
	case !utf8.ValidString(text):
		return ErrInvalidUTF8
	case strings.TrimSpace(text) == "":
		return ErrEmptyText
	case len(text) > MaxTextBytes:
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTextTooLong, len(text), MaxTextBytes)
	}
	return nil
}
