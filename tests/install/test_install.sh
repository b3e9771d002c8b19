#!/usr/bin/env bash
# cmake --install into a staging prefix, then use it as a user and a developer would: the
# exported symbols are the public API only; a C program built through pkg-config and a C++
# program built through find_package run against the installed libcorridorkey.so; the
# installed CLI runs and finds its modules. Usage: test_install.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 source=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
stage=$work/stage
cmake --install "$build" --prefix "$stage" >/dev/null
checkpoint=$source/tests/fixtures/checkpoints/tiny_official.pth
libdir=$(dirname "$(find "$stage" -name libcorridorkey.so -print -quit)")

# The image module a run loaded (from its LD_DEBUG=files log) is the installed one, not the
# build tree's.
expect_installed_module() {
  local loaded
  loaded=$(sed -n 's/.*calling init: \(.*libck_image_io.so\).*/\1/p' "$1" | head -n 1)
  if [ -z "$loaded" ] || [ "$(readlink -f "$loaded")" != "$(readlink -f "$libdir/corridorkey/libck_image_io.so")" ]; then
    echo "$2 loaded its image module from '${loaded:-nowhere}', not from $libdir/corridorkey"
    exit 1
  fi
}

echo "== exports of $(readlink -f "$libdir/libcorridorkey.so")"
grep -q 'SONAME.*libcorridorkey.so.0' <<< "$(readelf -d "$libdir/libcorridorkey.so")" || { echo "no versioned soname"; exit 1; }
exports=$(nm -D --defined-only -C "$libdir/libcorridorkey.so" | sed 's/^[0-9a-f]* [A-Za-z] //')
foreign=$(echo "$exports" | grep -v -E '^(ck_|ck::|typeinfo for ck::|typeinfo name for ck::|vtable for ck::|VTT for ck::)' |
          grep -v -E '^ck::Error ck::err<' || true)
[ -z "$foreign" ] || { echo "exported beyond the public API:"; echo "$foreign" | head -20; exit 1; }
for internal in 'ck::Tensor' 'ck::cpu::' 'ck::ref::' 'ck::Greenformer' 'ck::fetch_text' 'ck::load_module_table'; do
  if grep -q -F -- "$internal" <<< "$exports"; then echo "internal symbol exported: $internal"; exit 1; fi
done
for public in ck_engine_create 'ck::Engine::create(' 'ck::key_shot(' 'ck::download_weights(' 'ck::read_image('; do
  grep -q -F -- "$public" <<< "$exports" || { echo "public symbol missing: $public"; exit 1; }
done
echo "$(echo "$exports" | wc -l) symbols, all public"

echo "== C consumer through pkg-config"
export PKG_CONFIG_PATH=$libdir/pkgconfig
cc -std=c11 -Wall -Werror "$source/tests/install/c_consumer.c" $(pkg-config --cflags --libs corridorkey) \
   -Wl,-rpath,"$libdir" -o "$work/c_consumer"
"$work/c_consumer" "$checkpoint"

echo "== C++ consumer through find_package"
cmake -S "$source/tests/install/cpp_consumer" -B "$work/cpp_build" -DCMAKE_PREFIX_PATH="$stage" \
      -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/cpp_build" >/dev/null
LD_DEBUG=files "$work/cpp_build/cpp_consumer" "$checkpoint" "$source/samples/plate.png" "$source/samples/hint.png" \
  "$work/alpha.png" 2>"$work/cpp_loads.txt"
[ -s "$work/alpha.png" ] || { echo "no matte written"; exit 1; }
expect_installed_module "$work/cpp_loads.txt" "libcorridorkey.so"

echo "== the installed CLI"
"$stage/bin/corridorkey" --version
LD_DEBUG=files "$stage/bin/corridorkey" infer --image "$stage/share/corridorkey/samples/plate.png" \
  --hint "$stage/share/corridorkey/samples/hint.png" --checkpoint "$checkpoint" --img-size 64 --output-dir "$work/cli_out" 2>"$work/cli_loads.txt"
[ -s "$work/cli_out/alpha.png" ] || { echo "the installed CLI wrote no matte"; cat "$work/cli_loads.txt"; exit 1; }
expect_installed_module "$work/cli_loads.txt" "the installed CLI"
echo "== the Debian package"
(cd "$build" && cpack -G DEB -B "$work/package" >/dev/null 2>"$work/cpack.log") || { cat "$work/cpack.log"; exit 1; }
deb=$(find "$work/package" -maxdepth 1 -name 'corridorkey_*.deb' -print -quit)
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
# Computed from the binaries by dpkg-shlibdeps: the libraries they link, with versions.
for dependency in libdnnl libcurl4 libzip4 libgomp1 libstdc++6 libopenimageio libavcodec libopencolorio; do
  grep -q -- "$dependency" <<< "$depends" || { echo "the package does not depend on $dependency"; exit 1; }
done
contents=$(dpkg-deb -c "$deb")
for file in ./usr/bin/corridorkey ./usr/lib/libcorridorkey.so.0 ./usr/lib/corridorkey/libck_image_io.so \
            ./usr/include/corridorkey/corridorkey.h ./usr/lib/pkgconfig/corridorkey.pc \
            ./usr/lib/cmake/corridorkey/corridorkeyConfig.cmake; do
  grep -q -- " $file" <<< "$contents" || { echo "the package lacks $file"; exit 1; }
done
echo "install test passed"
