/* A shared library that is not a Weft plugin: no weft_plugin_entry. */
__attribute__((visibility("default"))) double fixture_twice(double x) { return 2 * x; }
