/* The core's one return convention (the style of Zephyr's driver APIs and POSIX errno):
 *
 *   - a function that can fail returns int: IFB_EOK (0) on success, a negative IFB_E* code on failure;
 *   - a function that produces a length returns int32_t: the length (>= 0) on success, a negative
 *     IFB_E* code on failure;
 *   - on failure nothing is written to the caller's output buffer, unless the function says otherwise.
 *
 * Test with `rc < 0` (or `rc != IFB_EOK` for status-only functions); compare against the negated
 * constant: `if (rc == -IFB_ENOSPC) ...`. The values are the Linux errno numbers of the same names,
 * so a code printed as a number reads like errno, but they are the core's own constants: the core
 * does not include <errno.h>, whose values differ between C libraries.
 *
 * Board callbacks (ifb_board_t.imu_configure, ifb_model_t.invoke) and the ext handler follow the
 * same convention. These codes live only on the device: the wire carries the protocol's own ERROR
 * and HIL_ERROR codes (enum ifb_error_code, enum ifb_hil_error), which are unchanged. */
#ifndef IFB_ERR_H
#define IFB_ERR_H

#define IFB_EOK       0    /* success */
#define IFB_EPERM     1    /* not allowed in the current state (e.g. a sample while the stream is stopped) */
#define IFB_EIO       5    /* the board or model failed (e.g. an inference that did not complete) */
#define IFB_EAGAIN   11    /* nothing to do now, try later: ring full (push) or empty (pop) */
#define IFB_ENOMEM   12    /* a working area (e.g. the model arena) is too small */
#define IFB_EINVAL   22    /* invalid argument (e.g. a ring of fewer than 2 slots) */
#define IFB_ENOSPC   28    /* the output buffer is too small for the result */
#define IFB_EBADMSG  74    /* malformed input (e.g. invalid COBS) */
#define IFB_EOVERFLOW 75   /* a value does not fit the result type (e.g. a length over INT32_MAX) */
#define IFB_EMSGSIZE 90    /* the message does not fit a frame (IFB_MAX_BODY) */
#define IFB_ENOTSUP  95    /* not supported (e.g. a configuration, a dtype, a message type) */

#endif
