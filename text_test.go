package triage

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckText(t *testing.T) {
	tests := []struct {
		name, text string
		want       error
	}{
		{"ordinary", "my parcel never arrived", nil},
		{"one CJK character", "坑", nil},
		{"emoji only", "😡", nil},
		{"empty", "", ErrEmptyText},
		{"spaces", "  \t\n ", ErrEmptyText},
		{"NULs", "\x00\x00\x00", ErrNUL},
		{"a NUL inside", "my parcel\x00 never arrived", ErrNUL},
		{"zero-width", "\u200b\u200c\u200d\ufeff", ErrEmptyText},
		{"bidi marks and spaces", "\u200e \u200f", ErrEmptyText},
		{"invalid UTF-8", "abc\xff", ErrInvalidUTF8},
		{"too long", strings.Repeat("a", MaxTextBytes+1), ErrTextTooLong},
	}
	for _, tt := range tests {
		err := CheckText(tt.text)
		if !errors.Is(err, tt.want) && !(err == nil && tt.want == nil) {
			t.Errorf("%s: CheckText = %v, want %v", tt.name, err, tt.want)
		}
	}
}
