package retrieve

import (
	"context"
)

// Embedder turns texts into vectors of a fixed dimension.
type Embedder interface {
	// Embed returns one vector per text, in order.
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	// Version identifies the embedder and its parameters: vectors from
	// different versions are not comparable.
	Version() string
	// Dimensions is the length of every vector.
	Dimensions() int
}

// EmbedderFunc adapts a function to Embedder, for tests and wrappers.
type EmbedderFunc struct {
	Fn   func(ctx context.Context, texts []string) ([][]float32, error)
	Ver  string
	Dims int
}

// Embed calls Fn.
func (e EmbedderFunc) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return e.Fn(ctx, texts)
}

// Version returns Ver.
func (e EmbedderFunc) Version() string { return e.Ver }

// Dimensions returns Dims.
func (e EmbedderFunc) Dimensions() int { return e.Dims }
