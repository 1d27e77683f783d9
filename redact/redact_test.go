package redact

import (
	"strings"
	"testing"
)

func TestRedactFinds(t *testing.T) {
	tests := []struct {
		name, text, value string
		kind              Kind
	}{
		{"email", "请联系我 wang.li+game@example.com.cn 谢谢", "wang.li+game@example.com.cn", Email},
		{"email en", "reach me at j.doe@mail.co.uk anytime", "j.doe@mail.co.uk", Email},
		{"cn mobile", "我的手机13812345678，尽快回电", "13812345678", Phone},
		{"cn mobile spaced", "电话 +86 138 1234 5678", "+86 138 1234 5678", Phone},
		{"e164 uk", "Call me on +44 20 7946 0958 after six", "+44 20 7946 0958", Phone},
		{"us local", "my number is (555) 123-4567.", "(555) 123-4567", Phone},
		{"us dashes", "text 415-555-0132 please", "415-555-0132", Phone},
		{"jp mobile", "携帯 090-1234-5678 までお願いします", "090-1234-5678", Phone},
		{"cn landline", "座机010-12345678", "010-12345678", Phone},
		{"ru", "Мой номер +7 912 345-67-89, звоните", "+7 912 345-67-89", Phone},
		{"br", "WhatsApp +55 11 98765-4321", "+55 11 98765-4321", Phone},
		{"cn id", "身份证号11010519491231002X，姓名王某", "11010519491231002X", CNID},
		{"cn id lower x", "id: 11010519491231002x", "11010519491231002x", CNID},
		{"cn id 2", "身份证 440301199003071230 已上传", "440301199003071230", CNID},
		{"visa", "card 4111 1111 1111 1111 was charged", "4111 1111 1111 1111", Card},
		{"mastercard dashes", "tarjeta 5500-0000-0000-0004", "5500-0000-0000-0004", Card},
		{"unionpay", "银行卡6222021234567890128被扣款", "6222021234567890128", Card},
		{"iban de", "Überweisung auf DE89 3704 0044 0532 0130 00 bitte", "DE89 3704 0044 0532 0130 00", IBAN},
		{"iban gb", "IBAN GB82WEST12345698765432", "GB82WEST12345698765432", IBAN},
		{"ipv4", "登录IP是 203.0.113.77 不是我", "203.0.113.77", IP},
		{"ipv6", "from 2001:db8::1 yesterday", "2001:db8::1", IP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Text(tt.text)
			placeholder := "[" + string(tt.kind) + "_1]"
			if r.Values[placeholder] != tt.value {
				t.Fatalf("Text(%q) = %q, values %v; want %s = %q", tt.text, r.Text, r.Values, placeholder, tt.value)
			}
			if strings.Contains(r.Text, tt.value) {
				t.Errorf("value still in %q", r.Text)
			}
			if back := r.Restore(r.Text); back != tt.text {
				t.Errorf("Restore = %q, want %q", back, tt.text)
			}
		})
	}
}

func TestRedactLeavesAlone(t *testing.T) {
	for _, text := range []string{
		"订单号 4200001987365 还没发货",
		"订单号：6222021234567890128", // Luhn-valid, but labelled an order number
		"order #A83-19920 is late",
		"Order number 4111111111111111 never arrived",
		"充了648元，扣了¥328两次，共1,299.00元",
		"charged $49.99 on 2025-03-14 at 21:30",
		"am 14.03.2025 um 10:15 Uhr, 1.200 € abgebucht",
		"tracking RA123456789RU stuck since 2025.3.14",
		"update 2.8.1 broke the game, level 648 boss",
		"UID 123456789, server 12",
		"ID: DV-5518830 (ドラゴンヴェイル)",
		"mất 18.960.000đ trong 3 ngày",
		"4 bin TL'lik skin, 10-12 gün",
		"17 digits 12345678901234567 plus more",
		"ticket 2024-000123 reopened",
		"",
	} {
		r := Text(text)
		if r.Text != text || len(r.Values) != 0 {
			t.Errorf("Text(%q) = %q (%v): nothing here is personal data", text, r.Text, r.Values)
		}
	}
}

func TestSameValueSamePlaceholder(t *testing.T) {
	r := Text("call 13812345678 or 13812345678, or my wife on 13987654321; mail a@b.io")
	if r.Text != "call [PHONE_1] or [PHONE_1], or my wife on [PHONE_2]; mail [EMAIL_1]" {
		t.Errorf("%q", r.Text)
	}
	// A draft that quotes placeholders is restored for the agent.
	draft := "We will call you at [PHONE_1] and write to [EMAIL_1]."
	if got := r.Restore(draft); got != "We will call you at 13812345678 and write to a@b.io." {
		t.Errorf("%q", got)
	}
}

func TestChecksums(t *testing.T) {
	if validCNID("110105194912310021") { // wrong check digit
		t.Error("bad CN ID checksum accepted")
	}
	if validCNID("11010519491331002X") { // month 13 (checksum recomputed would differ anyway)
		t.Error("impossible date accepted")
	}
	if luhn("4111111111111112") || !luhn("4111111111111111") {
		t.Error("Luhn")
	}
	if validIBAN("DE89370400440532013001") || !validIBAN("DE89370400440532013000") {
		t.Error("IBAN mod 97")
	}
}

func FuzzText(f *testing.F) {
	f.Add("电话13812345678 mail a@b.io card 4111 1111 1111 1111")
	f.Add("订单号 4200001987365")
	f.Fuzz(func(t *testing.T, s string) {
		r := Text(s)
		if got := r.Restore(r.Text); got != s && !strings.Contains(s, "[") {
			t.Fatalf("Restore(Text(%q)) = %q", s, got)
		}
	})
}

func BenchmarkText(b *testing.B) {
	for _, bm := range []struct{ name, text string }{
		{"no digits", "客服态度太差了，电话打了三次都没人接，问题到现在也没解决，我要投诉到底"},
		{"amounts and dates", "I was charged $49.99 twice on 2024-03-05 at 14:32 and again on 03/06, order 88231, please refund both"},
		{"personal data", "充了648元没到账，订单号4200001987365，手机13812345678，邮箱 wang.lei@example.com，身份证11010519491231002X"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Text(bm.text)
			}
		})
	}
}
