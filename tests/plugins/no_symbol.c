/* no_symbol.c: a shared object without the descriptor symbol; the loader must refuse it. */
int logrelay_not_a_plugin(void);
__attribute__((visibility("default"))) int logrelay_not_a_plugin(void)
{
    return 42;
}
