package cdev

import (
	"errors"
	"fmt"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gpiohil/gpiohil/clx"
)

func TestKernelErrMapsENODEVToGone(t *testing.T) {
	err := fmt.Errorf("cdev: read lines [3]: %w", kernelErr(unix.ENODEV))
	if !errors.Is(err, clx.ErrControllerGone) || !errors.Is(err, unix.ENODEV) {
		t.Errorf("ENODEV: %v, want clx.ErrControllerGone and the errno", err)
	}
	for _, errno := range []error{unix.EBUSY, unix.EINVAL, unix.EIO} {
		if err := kernelErr(errno); errors.Is(err, clx.ErrControllerGone) || !errors.Is(err, errno) {
			t.Errorf("%v: %v, want the errno alone", errno, err)
		}
	}
	if kernelErr(nil) != nil {
		t.Error("no error became one")
	}
}
