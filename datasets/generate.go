package datasets

//go:generate go run ./internal/datatool card -file README.md
