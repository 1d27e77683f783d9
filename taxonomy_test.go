package triage_test

import (
	"errors"
	"math"
	"testing"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/datasets"
)

func TestCompensate(t *testing.T) {
	tax, err := datasets.LoadTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		scenario string
		loss     float64
		currency string
		delay    int
		want     float64
		policy   string
	}{
		{"payment_recharge", 80, "CNY", 0, 160, "loss"},      // ≤100: double
		{"payment_recharge", 100, "CNY", 0, 200, "loss"},     // boundary is inclusive
		{"payment_recharge", 150, "CNY", 0, 157.5, "loss"},   // >100: +5%
		{"payment_recharge", 648, "CNY", 2, 712.8, "loss"},   // +5% delay surcharge (1–3 days)
		{"virtual_items", 648, "CNY", 3, 712.8, "loss"},      // 3 days is still the first tier
		{"virtual_items", 648, "CNY", 4, 745.2, "loss"},      // 4–7 days: +10%
		{"order_delivery", 200, "CNY", 9, 240, "loss"},       // 8+ days: +15%
		{"payment_recharge", 10, "USD", 0, 20, "loss"},       // 72 CNY ≤ 100: double
		{"payment_recharge", 50, "USD", 0, 52.5, "loss"},     // 360 CNY > 100
		{"payment_recharge", 5000, "USD", 0, 694.44, "loss"}, // capped at 5000 CNY
		{"refund_cancellation", 80, "CNY", 0, 80, "refund"},  // refund: the amount paid
		{"refund_cancellation", 80, "CNY", 5, 88, "refund"},  // plus the delay surcharge
		{"privacy_minors", 9000, "CNY", 0, 5000, "refund"},   // capped
		{"service_quality", 0, "JPY", 10, 400, "goodwill"},   // fixed, delay ignored
		{"technical_issue", 500, "EUR", 0, 3, "goodwill"},    // fixed, loss ignored
		{"payment_recharge", 0, "CNY", 0, 0, "loss"},         // nothing lost
		{"service_outage", 1500, "JPY", 0, 3000, "loss"},     // 72 CNY ≤ 100
		{"account_security", 30000, "KRW", 1, 33000, "loss"}, // 159 CNY: +5% and +5%
	}
	for _, tt := range tests {
		c, err := tax.Compensate(tt.scenario, tt.loss, tt.currency, tt.delay)
		if err != nil {
			t.Errorf("%+v: %v", tt, err)
			continue
		}
		if math.Abs(c.Amount-tt.want) > 1e-9 || c.Policy != tt.policy {
			t.Errorf("Compensate(%s, %v %s, %d days) = %v %s, want %v %s", tt.scenario, tt.loss, tt.currency, tt.delay, c.Amount, c.Policy, tt.want, tt.policy)
		}
	}
	for _, bad := range []struct {
		scenario, currency string
		loss               float64
		delay              int
		want               error
	}{
		{"lottery", "CNY", 10, 0, triage.ErrUnknownScenario},
		{"payment_recharge", "XAU", 10, 0, triage.ErrUnknownCurrency},
		{"payment_recharge", "CNY", -1, 0, triage.ErrInvalidAmount},
		{"payment_recharge", "CNY", math.NaN(), 0, triage.ErrInvalidAmount},
		{"payment_recharge", "CNY", 10, -2, triage.ErrInvalidAmount},
	} {
		if _, err := tax.Compensate(bad.scenario, bad.loss, bad.currency, bad.delay); !errors.Is(err, bad.want) {
			t.Errorf("Compensate(%v) error = %v, want %v", bad, err, bad.want)
		}
	}
}
