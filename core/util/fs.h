/* fs.h: small file-system helpers shared by the core (never by modules, which
 * get only the ABI). Thread-safe (no shared state). */
#ifndef LR_FS_H
#define LR_FS_H

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p of every directory in `dir`. 0 or -1 with errno. */
int lr_mkdir_p(const char *dir, mode_t mode);
/* mkdir -p of the directory part of `file_path`. */
int lr_mkdir_parents(const char *file_path, mode_t mode);
/* write(2) until done, retrying EINTR and short writes. 0 or -1 with errno. */
int lr_write_all(int fd, const void *buf, size_t len);

#endif
