package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ValidateXML has xmllint check doc against the XML schema file xsd
// (offline: --nonet) and fails t unless it validates. Where xmllint is
// not installed the test is skipped, or fails in CI (make test installs
// libxml2-utils).
func ValidateXML(t testing.TB, xsd string, doc []byte) {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		unavailable(t, "xmllint (Debian package libxml2-utils)", err)
	}
	file := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", xsd, file).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "validates") {
		t.Fatalf("xmllint: %v\n%s\n%s", err, out, doc)
	}
}
