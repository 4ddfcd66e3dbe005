package testutil

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// CheckFor calls fn every poll until it returns nil, and fails the test with
// fn's last error if that has not happened within total.
func CheckFor(t testing.TB, total, poll time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	var err error
	for {
		if err = fn(); err == nil {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(poll)
	}
	t.Fatalf("condition not met after %v: %v", total, err)
}

// Until calls cond every poll until it holds, and fails the test naming
// what it waited for if that has not happened within total.
func Until(t testing.TB, total, poll time.Duration, what string, cond func() bool) {
	t.Helper()
	CheckFor(t, total, poll, func() error {
		if cond() {
			return nil
		}
		return errors.New("waiting for " + what)
	})
}

// Equal fails the test unless got == want.
func Equal[T comparable](t testing.TB, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}

// DeepEqual fails the test unless reflect.DeepEqual(got, want).
func DeepEqual[T any](t testing.TB, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}

// NoErr fails the test if err is not nil.
func NoErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// True fails the test with msg unless cond holds.
func True(t testing.TB, cond bool, msg string) {
	t.Helper()
	if !cond {
		t.Fatal(msg)
	}
}
