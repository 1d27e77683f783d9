// Package classify detects a complaint's language, predicts its scenario
// with a trainable model, and derives severity, queue and deadline from
// the taxonomy.
package classify
