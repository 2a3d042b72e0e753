#!/bin/sh
# check_lib_symbols.sh - libstunring references no allocator and no
# process-killing call at all: a static proof, next to test_noalloc's
# runtime one, that the codec cannot allocate or abort on any path.
lib=${1:-build/libstunring.a}
echo "1..2"
if [ ! -f "$lib" ]; then
	echo "not ok 1 - $lib exists"
	exit 1
fi
undef=$(nm -u "$lib" | awk '{print $2}' | sort -u)
bad=$(echo "$undef" | grep -E '^(malloc|calloc|realloc|free|strdup|strndup|aligned_alloc|posix_memalign|valloc|memalign|asprintf|vasprintf|__libc_malloc)$')
if [ -z "$bad" ]; then
	echo "ok 1 - libstunring references no allocator"
else
	echo "not ok 1 - libstunring references: $bad"
fi
bad=$(echo "$undef" | grep -E '^(abort|exit|_exit|__assert_fail|pthread_mutex_lock)$')
if [ -z "$bad" ]; then
	echo "ok 2 - libstunring never aborts, exits or locks"
else
	echo "not ok 2 - libstunring references: $bad"
fi
