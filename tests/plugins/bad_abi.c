/* bad_abi.c: a module built for another ABI version; the loader must refuse it by name. */
#include <logrelay/logrelay.h>
#include <stdlib.h>

static int bad_init(lr_instance *i, const lr_host *h, const void *c, void **x)
{
    (void)i, (void)h, (void)c, (void)x;
    return 0;
}
static lr_result bad_deliver(void *c, void *w, lr_batch *b)
{
    (void)c, (void)w, (void)b;
    return LR_DELIVERED;
}
static void bad_fini(void *c)
{
    (void)c;
}

LR_OUTPUT_PLUGIN = {
    .abi_version = LR_ABI_VERSION + 98,
    .struct_size = sizeof(lr_output_plugin),
    .build_signature = LR_BUILD_SIGNATURE,
    .name = "bad_abi",
    .init = bad_init,
    .deliver = bad_deliver,
    .fini = bad_fini,
};
