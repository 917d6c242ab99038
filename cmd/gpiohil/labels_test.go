package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every label the spec tree uses is named where a user looks for it: in
// check's help and in the README's list of labels.
func TestEveryLabelIsDocumented(t *testing.T) {
	files, err := filepath.Glob("../../specs/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no spec sources: %v", err)
	}
	call := regexp.MustCompile(`Label\(([^)]*)\)`)
	quoted := regexp.MustCompile(`"([^"]+)"`)
	labels := map[string]bool{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllSubmatch(src, -1) {
			for _, q := range quoted.FindAllSubmatch(m[1], -1) {
				labels[string(q[1])] = true
			}
		}
	}
	if len(labels) < 10 {
		t.Fatalf("found only %d labels: %v", len(labels), labels)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	help := strings.Join(strings.Fields(newCheckCmd().Long), " ")
	for l := range labels {
		if !regexp.MustCompile(`(^|[\s,(])` + regexp.QuoteMeta(l) + `[\s,.;)]`).MatchString(help) {
			t.Errorf("check --help does not name the label %q", l)
		}
		if !strings.Contains(string(readme), "`"+l+"`") {
			t.Errorf("README.md does not name the label `%s`", l)
		}
	}
}
