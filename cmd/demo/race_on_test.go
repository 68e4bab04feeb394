//go:build race

package main

// raceBuild: under -race the binaries the tests start are built with
// -race too, reusing the instrumented packages already compiled for the
// test instead of compiling every dependency a second time.
const raceBuild = true
