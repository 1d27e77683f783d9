// Package eval is the offline evaluation harness: datasets in, metrics and
// reports out.
package eval
