#!/usr/bin/env bash
# Checks the Dockerfile's runtime stage without a Docker engine (Debian 12, as root):
#   1. builds viz-workflow as the build stage does (its `swift build` command, into .build-image);
#   2. makes the runtime stage's root file system: debootstrap of its Debian base, then its RUN commands
#      replayed in a chroot (the apt-get install line, the user), cached between runs;
#   3. copies the binary in and fails if `ldd` reports a library "not found";
#   4. runs the bundled sample in the chroot as the stage's USER, in its WORKDIR, with 2 local workers,
#      and checks the outputs (web tiles, GeoTIFFs, staged tiles);
#   5. runs the same binary on the host and compares the outputs (GeoTIFFs and PNGs byte for byte,
#      staged GeoPackages as SQL without their write time).
# Options: --no-compare (skip 5), --fresh-rootfs (rebuild the cached root file system),
#   --binary FILE (check this viz-workflow instead of building one: skips 1).
# Environment: VIZ_IMAGE_CACHE (root file system cache, default /var/cache/viz-workflow-image),
#   VIZ_IMAGE_MIRROR (default http://deb.debian.org/debian), VIZ_IMAGE_SECURITY_MIRROR (default
#   http://deb.debian.org/debian-security), VIZ_IMAGE_RUN_TIMEOUT (the sample run's, seconds, default 600).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export PATH="/opt/swift/usr/bin:$PATH"

compare=1 fresh=0 binary=''
while (($#)); do
    case $1 in
        --no-compare) compare=0 ;;
        --fresh-rootfs) fresh=1 ;;
        --binary) binary=$(realpath "${2:?--binary needs a file}"); shift ;;
        -h | --help) sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

cache=${VIZ_IMAGE_CACHE:-/var/cache/viz-workflow-image}
mirror=${VIZ_IMAGE_MIRROR:-http://deb.debian.org/debian}
security_mirror=${VIZ_IMAGE_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
run_timeout=${VIZ_IMAGE_RUN_TIMEOUT:-600}
scratch=.build-image
logs=$repo/$scratch/check-image
# Bump when the way the root file system is made changes, so cached ones are rebuilt.
recipe=2
image_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

now() { date +%s%N; }
since() { local d=$((($(now) - $1) / 100000000)); echo "$((d / 10)).$((d % 10))s"; } # since START: seconds
die() { echo "check-image: FAIL: $*" >&2; exit 1; }
step() { echo; echo "== $*"; }
((EUID == 0)) || die "run as root (debootstrap, chroot and mount need it)"

# ---- Parse the Dockerfile: logical instructions (continuations joined, comments dropped), two stages.
mapfile -t instructions < <(awk '
    /^[[:space:]]*#/ { next }
    cont && /^[[:space:]]*$/ { next }
    { line = cont ? line " " $0 : $0 }
    /\\[[:space:]]*$/ { sub(/\\[[:space:]]*$/, "", line); cont = 1; next }
    { cont = 0; if (line ~ /[^[:space:]]/) print line; line = "" }
' Dockerfile)
froms=()
for i in "${!instructions[@]}"; do
    [[ ${instructions[i]} =~ ^[[:space:]]*[Ff][Rr][Oo][Mm][[:space:]] ]] && froms+=("$i")
done
((${#froms[@]} == 2)) || die "expected two stages (two FROM lines) in the Dockerfile, found ${#froms[@]}"
build_stage=("${instructions[@]:froms[0]:froms[1]-froms[0]}")
runtime_stage=("${instructions[@]:froms[1]}")

# Build stage: its `swift build` command, run here with our own scratch path.
build_cmd=()
for ins in "${build_stage[@]}"; do
    [[ $ins =~ ^[[:space:]]*RUN[[:space:]] && $ins == *"swift build"* ]] || continue
    mapfile -t segments < <(sed 's/&&/\n/g' <<<"${ins#*RUN}")
    for seg in "${segments[@]}"; do
        [[ $seg == *"swift build"* && $seg != *--show-bin-path* ]] && read -ra build_cmd <<<"$seg" && break 2
    done
done
((${#build_cmd[@]})) || die "no 'swift build' command in the Dockerfile's build stage"
[[ " ${build_cmd[*]} " == *" -c release "* ]] || die "the build stage's swift build is not '-c release': ${build_cmd[*]}"
product=$(sed -n 's/.*--product[[:space:]]\+\([^[:space:]]\+\).*/\1/p' <<<"${build_cmd[*]}")
[[ -n $product ]] || die "the build stage's swift build has no --product: ${build_cmd[*]}"

# Runtime stage: base image, then the steps that make its file system (RUN, WORKDIR), USER, ENTRYPOINT.
read -r _ base _ <<<"${runtime_stage[0]}"
[[ $base =~ ^debian:([a-z]+)(-slim)?$ ]] || die "the runtime stage's base is not debian:<suite>[-slim]: $base"
suite=${BASH_REMATCH[1]}
steps=() user=0:0 workdir=/ entrypoint='' copied=0
for ins in "${runtime_stage[@]:1}"; do
    read -r keyword rest <<<"$ins"
    case ${keyword^^} in
        RUN)
            ((copied == 0)) || die "a RUN after COPY --from=build in the runtime stage: the cache here cannot replay that"
            [[ $rest != \[* ]] || die "exec-form RUN is not supported here: $ins"
            steps+=("RUN $user $rest") ;;
        WORKDIR) workdir=$rest; steps+=("WORKDIR $workdir") ;;
        USER)
            [[ $rest =~ ^[0-9]+:[0-9]+$ ]] || die "USER must be numeric uid:gid here, found: $rest"
            user=$rest ;;
        COPY)
            [[ $rest =~ ^--from=build[[:space:]]+/out/[[:space:]]+/$ ]] || die "unexpected COPY in the runtime stage: $ins"
            copied=1 ;;
        ENTRYPOINT) entrypoint=$(sed -n 's/^\[[[:space:]]*"\([^"]*\)".*/\1/p' <<<"$rest") ;;
        CMD | LABEL | EXPOSE | ARG | STOPSIGNAL) ;;
        *) die "check-image.sh cannot replay '$keyword' in the runtime stage; teach it to" ;;
    esac
done
((copied)) || die "the runtime stage has no 'COPY --from=build /out/ /'"
[[ $entrypoint == /* ]] || die "the runtime stage's ENTRYPOINT is not an exec-form absolute path"
[[ $user != 0:0 ]] || die "the runtime stage has no non-root USER"
uid=${user%:*} gid=${user#*:}
# The one apt-get install line: its packages, for the summary and to check they are installed.
mapfile -t installs < <(printf '%s\n' "${steps[@]}" | grep -o 'apt-get install[^&;|]*' || true)
((${#installs[@]} == 1)) || die "expected one 'apt-get install' in the runtime stage, found ${#installs[@]}"
read -ra words <<<"${installs[0]#apt-get install}"
packages=()
for w in "${words[@]}"; do [[ $w == -* ]] || packages+=("$w"); done
((${#packages[@]})) || die "the runtime stage's apt-get install lists no packages"

echo "Dockerfile: build '${build_cmd[*]}'; runtime debian $suite, ${#steps[@]} steps, USER $user, WORKDIR $workdir"
echo "runtime packages: ${packages[*]}"

# ---- Mounts and processes inside a root file system, undone on every exit.
mounted_root='' data_root='' data_before='' host_dir=''
kill_inside() { # processes this script started in the chroot (found by their root directory)
    local p root
    for p in /proc/[0-9]*; do
        root=$(readlink "$p/root" 2>/dev/null) || continue
        [[ $root == "$1" ]] && kill -9 "${p#/proc/}" 2>/dev/null || true
    done
}
unmount_all() {
    local target
    [[ -n $mounted_root ]] || return 0
    kill_inside "$mounted_root"
    findmnt --list --noheadings --output TARGET | { grep -F "$mounted_root/" || true; } | sort -r | while read -r target; do
        umount "$target" 2>/dev/null || umount -l "$target"
    done
    mounted_root=''
}
mount_inside() { # /proc, and a /dev with the usual devices, like Docker gives a container
    local root=$1 n
    mounted_root=$root
    mount -t proc proc "$root/proc"
    mount -t tmpfs -o mode=755,nosuid,size=64m tmpfs "$root/dev"
    for n in null zero full random urandom tty; do
        touch "$root/dev/$n" && mount --bind "/dev/$n" "$root/dev/$n"
    done
    mkdir -m 1777 "$root/dev/shm" && mkdir "$root/dev/pts"
    ln -s /proc/self/fd "$root/dev/fd"
    ln -s /proc/self/fd/0 "$root/dev/stdin" && ln -s /proc/self/fd/1 "$root/dev/stdout" && ln -s /proc/self/fd/2 "$root/dev/stderr"
}
clean_data() { # remove what this run put into the root file system (sample, outputs, binary)
    [[ -n $data_root ]] || return 0
    local e
    for e in "$data_root$workdir"/{*,.[!.]*,..?*} "$data_root"/tmp/{*,.[!.]*,..?*}; do
        [[ -e $e || -L $e ]] || continue
        grep -qxF "$e" <<<"$data_before" || rm -rf --one-file-system "$e"
    done
    rm -f "$data_root$entrypoint"
    data_root=''
}
cleanup() {
    unmount_all
    clean_data
    [[ -z $host_dir ]] || rm -rf "$host_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$(now)
scripts/setup.sh
mkdir -p "$logs"

# ---- 1. Release build, as the build stage does it.
t=$(now)
if [[ -n $binary ]]; then
    step "binary: $binary (--binary: not built)"
    built="given with --binary"
else
    step "release build: nice -n 19 ${build_cmd[*]} --scratch-path $scratch"
    set +e
    nice -n 19 "${build_cmd[@]}" --scratch-path "$scratch" 2>&1 | tee "$logs/build.log" |
        grep --line-buffered -E '^\[[0-9]+/[0-9]+\] (Compiling|Linking)|error:|^Build'
    build_status=${PIPESTATUS[0]}
    set -e
    ((build_status == 0)) || { tail -n 40 "$logs/build.log"; die "release build failed (log: $logs/build.log)"; }
    binary="$("${build_cmd[@]}" --scratch-path "$scratch" --show-bin-path)/$product"
    built="built in $(since "$t")"
fi
[[ -x $binary ]] || die "no binary at $binary"
binary_size=$(du -h "$binary" | cut -f1)
echo "$binary ($binary_size), $built"

# ---- 2. Root file system of the runtime stage, cached by a hash of what makes it.
key=$(printf '%s\n' "$recipe" "$suite" "$mirror" "$security_mirror" "${steps[@]}" | sha256sum | cut -c1-16)
mkdir -p "$cache"
cache=$(realpath "$cache")
rootfs=$cache/rootfs-$key
exec 9>"$cache/lock"
flock -n 9 || die "another check-image.sh is using $cache"
((fresh == 0)) || rm -rf --one-file-system "$rootfs"
step "root file system: $rootfs"
t=$(now)
if [[ -d $rootfs ]]; then
    echo "cached (delete it or pass --fresh-rootfs to rebuild)"
    made=cached
else
    command -v debootstrap >/dev/null || {
        echo "installing: debootstrap"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
    }
    partial=$rootfs.partial
    rm -rf --one-file-system "$partial"
    mounted_root=$partial # debootstrap mounts /proc and /sys in it: unmount them if it fails
    echo "debootstrap --variant=minbase $suite ($mirror)"
    debootstrap --variant=minbase "$suite" "$partial" "$mirror" >"$logs/debootstrap.log" 2>&1 ||
        { tail -n 30 "$logs/debootstrap.log"; die "debootstrap failed (log: $logs/debootstrap.log)"; }
    debootstrap_time=$(since "$t")
    echo "debootstrap took $debootstrap_time"
    # What debian:<suite>-slim has on top of minbase: its apt sources and apt settings (no package cache),
    # no docs, man pages or translations (excluded, and removed from the base), no services started.
    rm -f "$partial/etc/apt/sources.list"
    cat >"$partial/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_mirror
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    cat >"$partial/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
    find "$partial/usr/share/doc" -mindepth 1 -not -type d -not -name copyright -delete
    rm -rf "$partial"/usr/share/{man,groff,info,lintian,linda,locale}/*
    cat >"$partial/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    echo 'Acquire::Languages "none";' >"$partial/etc/apt/apt.conf.d/docker-no-languages"
    echo 'Acquire::GzipIndexes "true";' >"$partial/etc/apt/apt.conf.d/docker-gzip-indexes"
    printf '#!/bin/sh\nexit 101\n' >"$partial/usr/sbin/policy-rc.d" && chmod 755 "$partial/usr/sbin/policy-rc.d"
    chroot "$partial" apt-get clean
    rm -rf "$partial"/var/lib/apt/lists/*
    cp -L /etc/resolv.conf "$partial/etc/resolv.conf"
    mount_inside "$partial"
    for s in "${steps[@]}"; do
        read -r kind arg rest <<<"$s"
        if [[ $kind == WORKDIR ]]; then
            mkdir -p "$partial$arg"
            continue
        fi
        echo "RUN (as $arg) $rest" | cut -c1-150
        spec=()
        [[ $arg == 0:0 ]] || spec=(--userspec="$arg")
        env -i PATH="$image_path" HOME=/root chroot "${spec[@]}" "$partial" /bin/sh -c "$rest" >>"$logs/rootfs.log" 2>&1 ||
            { tail -n 30 "$logs/rootfs.log"; die "a RUN command of the runtime stage failed in the chroot (log: $logs/rootfs.log)"; }
    done
    unmount_all
    for p in "${packages[@]}"; do
        chroot "$partial" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            die "package $p is not installed in the root file system"
    done
    mv "$partial" "$rootfs"
    made="made in $(since "$t") (debootstrap $debootstrap_time)"
    # Root file systems made from an older Dockerfile are not needed any more.
    for old in "$cache"/rootfs-*; do
        [[ $old == "$rootfs" ]] || ! [[ -d $old ]] || rm -rf --one-file-system "$old"
    done
    echo "root file system $made"
fi
rootfs_size=$(du -sh --one-file-system "$rootfs" | cut -f1)
package_versions=$(chroot "$rootfs" dpkg-query -W -f='${Package}=${Version} ' "${packages[@]}")
package_versions=${package_versions% }
chroot "$rootfs" getent passwd "$uid" >/dev/null || die "no user with uid $uid in the image (USER $user)"
[[ $(stat -c %u:%g "$rootfs$workdir") == "$uid:$gid" ]] ||
    die "WORKDIR $workdir is owned by $(stat -c %u:%g "$rootfs$workdir"), not by USER $user: the image cannot run without a volume there"

# ---- 3. The binary in the image, and its shared libraries.
step "ldd $entrypoint (in the chroot)"
data_root=$rootfs
data_before=$(printf '%s\n' "$rootfs$workdir"/{*,.[!.]*,..?*} "$rootfs"/tmp/{*,.[!.]*,..?*})
install -D -m 0755 "$binary" "$rootfs$entrypoint"
mount_inside "$rootfs"
ldd_out=$(chroot "$rootfs" ldd "$entrypoint" 2>&1) || { echo "$ldd_out"; die "ldd failed in the chroot"; }
if grep -q "not found" <<<"$ldd_out"; then
    grep "not found" <<<"$ldd_out" >&2
    die "shared libraries missing from the image; add their packages to the runtime stage's apt-get install"
fi
libs=$(grep -c '=>' <<<"$ldd_out")
echo "all $libs shared libraries found"

# ---- 4. The bundled sample, as USER in WORKDIR.
config=parameters/workflow_config.json
cfg() { sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\"\([^\"]*\)\".*/\1/p" "$config"; }
dir_input=$(cfg dir_input) dir_staged=$(cfg dir_staged) dir_geotiff=$(cfg dir_geotiff) dir_web=$(cfg dir_web_tiles)
summaries=("$(cfg filename_staging_summary)" "$(cfg filename_rasters_summary)")
[[ $dir_input == Examples/sample-data/* && -n $dir_staged && -n $dir_geotiff && -n $dir_web ]] ||
    die "$config does not read the bundled sample (dir_input: $dir_input) or lacks an output directory"
copy_sample() { # $1: the working directory
    mkdir -p "$1/Examples"
    cp -r Examples/sample-data "$1/Examples/"
    cp -r parameters "$1/"
}
copy_sample "$rootfs$workdir"
chown -R "$uid:$gid" "$rootfs$workdir"
run_cmd="cd $workdir && HOME=$workdir $entrypoint run --parameters parameters --workers 2"
step "run (timeout ${run_timeout}s): chroot --userspec=$user ROOTFS /bin/sh -c '$run_cmd'"
t=$(now)
status=0
env -i PATH="$image_path" timeout --kill-after=10 "$run_timeout" \
    chroot --userspec="$user" "$rootfs" /bin/sh -c "$run_cmd" >"$logs/run.log" 2>&1 || status=$?
run_time=$(since "$t")
if ((status != 0)); then
    echo "--- last lines of the leader's output ($logs/run.log):"
    tail -n 20 "$logs/run.log"
    shopt -s globstar nullglob
    for f in "$rootfs$workdir"/runinfo/**/block-*/stderr*; do
        echo "--- ${f#"$rootfs"} (last lines):"
        tail -n 15 "$f"
    done
    ((status == 124 || status == 137)) && die "the sample run timed out after ${run_timeout}s as $user (a hang)"
    die "the sample run exited with status $status as $user after $run_time"
fi
unmount_all
echo "finished in $run_time"
count() { [[ -d $1 ]] && find "$1" -type f -name "$2" -not -path '*/.*' | wc -l || echo 0; }
out=$rootfs$workdir
n_png=$(count "$out/$dir_web" '*.png') n_tif=$(count "$out/$dir_geotiff" '*.tif') n_staged=$(count "$out/$dir_staged" '*')
((n_png > 0)) || die "no PNG web tiles under $workdir/$dir_web"
((n_tif > 0)) || die "no GeoTIFFs under $workdir/$dir_geotiff"
((n_staged > 0)) || die "no staged tiles under $workdir/$dir_staged"
for f in "${summaries[@]}"; do [[ -s $out/$f ]] || die "missing or empty $workdir/$f"; done

# ---- 5. The same binary on the host: are the outputs identical?
comparison="skipped (--no-compare)"
if ((compare)); then
    host_dir=$(mktemp -d /tmp/viz-image-host.XXXXXX)
    copy_sample "$host_dir"
    step "the same binary on the host, in $host_dir"
    t=$(now)
    (cd "$host_dir" && HOME=$host_dir nice -n 19 timeout --kill-after=10 "$run_timeout" \
        "$binary" run --parameters parameters --workers 2) >"$logs/host-run.log" 2>&1 ||
        { tail -n 20 "$logs/host-run.log"; die "the host run failed (log: $logs/host-run.log)"; }
    echo "finished in $(since "$t")"
    # GeoTIFFs and web tiles byte for byte. Staged GeoPackages as SQL, without gpkg_contents.last_change
    # (the time the tile was written, different in every run). The hidden .shards/ folder holds the
    # staging's intermediate files, with absolute input paths and times: not compared.
    sums() { # $1: folder, $2: raw or gpkg
        (cd "$1" && find . -type f -not -path '*/.*' -print0 | LC_ALL=C sort -z | while IFS= read -r -d '' f; do
            if [[ $2 == gpkg && $f == *.gpkg ]]; then
                echo "$(sqlite3 "$f" .dump | sed -E "/^INSERT INTO gpkg_contents /s/'[0-9T:.-]+Z'/'last_change'/" |
                    sha256sum | cut -d' ' -f1)  $f (SQL)"
            else
                sha256sum "$f"
            fi
        done)
    }
    command -v sqlite3 >/dev/null || die "sqlite3 is needed to compare the staged GeoPackages (scripts/setup.sh installs it)"
    comparison=''
    differ=0
    for d in "$dir_staged:gpkg" "$dir_geotiff:raw" "$dir_web:raw"; do
        a=$(sums "$out/${d%:*}" "${d##*:}") b=$(sums "$host_dir/${d%:*}" "${d##*:}")
        n=$(grep -c . <<<"$a" || true)
        if [[ $a == "$b" ]]; then
            comparison+="${d%:*}: $n files identical$([[ ${d##*:} == raw ]] || echo ' (as SQL, last_change aside)'); "
        else
            differ=1
            m=$(diff <(echo "$a") <(echo "$b") | grep -c '^[<>]' || true)
            comparison+="${d%:*}: DIFFERENT ($m lines of the checksum lists differ); "
            diff <(echo "$a") <(echo "$b") | head -n 10 >&2 || true
        fi
    done
    comparison=${comparison%; }
    ((differ == 0)) || die "the image's outputs differ from the host's: $comparison"
fi

# ---- Summary
step "summary"
cat <<EOF
binary:      $binary ($binary_size), $built
rootfs:      debian $suite minbase + the runtime stage's RUN steps, $rootfs_size, $made
packages:    $package_versions
ldd:         OK, $libs shared libraries, none missing
run:         as $user in $workdir, 2 workers, $run_time
outputs:     $n_png web tile PNGs, $n_tif GeoTIFFs, $n_staged staged tiles
host match:  $comparison
total:       $(since "$t0")
EOF
echo "check-image: OK"
