package bus_test

import (
	"testing"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/einsatzraum/bus"
	"github.com/einsatzraum/einsatzraum/einsatzraum/bustest"
)

func TestMemoryConformance(t *testing.T) {
	bustest.Run(t, func(t *testing.T) einsatzraum.Bus {
		b := bus.NewMemory()
		t.Cleanup(func() { b.Close() })
		return b
	})
}
