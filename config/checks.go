package config

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
)

// checkRegion returns "" for a known region, else the problem with a suggestion.
func checkRegion(region string) string {
	if slices.Contains(Regions, region) {
		return ""
	}
	problem := fmt.Sprintf("%q is not an AWS region", region)
	if best := closest(region, Regions); best != "" {
		problem += fmt.Sprintf(" (did you mean %q?)", best)
	}
	return problem
}

// checkEmail returns "" for a plain, deliverable-looking address.
func checkEmail(addr string) string {
	parsed, err := mail.ParseAddress(addr)
	if err != nil || parsed.Address != addr || parsed.Name != "" {
		return fmt.Sprintf("%q is not a plain e-mail address", addr)
	}
	at := strings.LastIndexByte(addr, '@')
	if !emailDomainPattern.MatchString(addr[at+1:]) {
		return fmt.Sprintf("%q has no valid domain after the @", addr)
	}
	return ""
}

// closest returns the candidate within edit distance 2 of s, if any.
func closest(s string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func joinInts(list []int) string {
	parts := make([]string, len(list))
	for i, v := range list {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, ", ")
}

// placeholderAccount: an id made of one repeated digit, or the documentation's
// 123456789012, is almost certainly not a real account.
func placeholderAccount(id string) bool {
	return id == "123456789012" || strings.Count(id, id[:1]) == len(id)
}

// placeholderEmail: domains reserved for examples and tests (RFC 2606) never
// receive mail.
func placeholderEmail(addr string) bool {
	_, domain, _ := strings.Cut(strings.ToLower(addr), "@")
	for _, reserved := range []string{".example", ".test", ".invalid", ".localhost"} {
		if strings.HasSuffix(domain, reserved) {
			return true
		}
	}
	return slices.Contains([]string{"example.com", "example.org", "example.net"}, domain)
}
