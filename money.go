package triage

import (
	"math"
	"strconv"
	"strings"
)

// Money is an amount in a currency (ISO 4217 code).
type Money struct {
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
}

// String formats m as "680.40 CNY" ("20 CNY" for whole amounts).
func (m Money) String() string {
	s := strconv.FormatFloat(m.Amount, 'f', 2, 64)
	s = strings.TrimSuffix(s, ".00")
	return s + " " + m.Currency
}

// Compensation is what a customer was given (or is owed), as the policy
// computes it: Taxonomy.Compensate fills every field but Form.
type Compensation struct {
	Policy    string  `json:"policy"`
	Loss      float64 `json:"loss"`
	Currency  string  `json:"currency"`
	DelayDays int     `json:"delay_days"`
	Amount    float64 `json:"amount"`
	Form      string  `json:"form,omitempty"`
}

// Money returns the compensation's amount in its currency.
func (c Compensation) Money() Money { return Money{Amount: c.Amount, Currency: c.Currency} }

// Equal reports whether m and o are the same amount, to the cent, in the
// same currency.
func (m Money) Equal(o Money) bool {
	return m.Currency == o.Currency && math.Abs(m.Amount-o.Amount) < 0.005
}
