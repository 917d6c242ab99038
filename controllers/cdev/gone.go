package cdev

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/gpiohil/gpiohil/clx"
)

// kernelErr is err, from a call into the character device, wrapping
// clx.ErrControllerGone as well when the kernel answered ENODEV: the chip
// was unregistered under the request (a hot-unplugged USB expander, a
// gpio-sim chip removed), and clx then fails every connection.
func kernelErr(err error) error {
	if errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("%w: %w", clx.ErrControllerGone, err)
	}
	return err
}
