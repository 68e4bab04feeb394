//go:build race

package cli_test

// raceBuild: the tests run with -race, so the binary they start is built
// with -race too; it then reuses the race-instrumented packages already
// compiled for the tests instead of compiling everything a second time.
const raceBuild = true
