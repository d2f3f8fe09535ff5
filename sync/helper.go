package sync

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// go-git reads a local remote (a path or file:// URL) by running
// git-upload-pack as a child process. Its reads honour the sync's context,
// but when a fetch fails on this side (a full dataDir: the pack cannot be
// written) go-git stops reading and waits for the child, which waits to
// write: the sync hangs past its timeout. A hook of upload-pack
// (uploadpack.packObjectsHook) holding stderr open does the same. So a sync
// of a local remote kills, when its context ends, the upload-pack it
// started and everything that one started (killHelpers; Linux only), and
// the packs left half-written are removed.

// localRemotePath returns the repository path of a local remote, "" for a
// network one.
func localRemotePath(remote string) string {
	if after, ok := strings.CutPrefix(remote, "file://"); ok {
		if u, err := url.Parse(remote); err == nil {
			return filepath.Clean(u.Path)
		}
		return filepath.Clean(after)
	}
	if !strings.Contains(remote, "://") && filepath.IsAbs(remote) {
		return filepath.Clean(remote)
	}
	return ""
}

// watchHelpers returns the context to give go-git for a sync of the
// local remote at path ("" for a network one: ctx itself): when ctx ends,
// the helper processes serving path are killed, then it ends too. go-git
// kills the upload-pack itself when its context ends, so it must learn of
// it only after the whole tree is found and killed. Call stop when done.
func watchHelpers(ctx context.Context, path string) (_ context.Context, stop func()) {
	if path == "" {
		return ctx, func() {}
	}
	gitCtx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stopKill := context.AfterFunc(ctx, func() {
		killHelpers(path)
		cancel(context.Cause(ctx))
	})
	return gitCtx, func() {
		stopKill()
		cancel(nil)
	}
}

// removePartialPacks removes the packs a failed or interrupted fetch left
// in the mirror at dir. go-git writes objects/pack/tmp_pack_*, then
// pack-<sum>.idx in place, then renames the pack to pack-<sum>.pack: an
// index without its pack was cut short too, and a later fetch of the same
// pack would keep it (go-git does not write an index that exists), leaving
// the mirror unreadable. Callers hold the source's lock, so no fetch is
// writing one.
func removePartialPacks(dir string) error {
	pack := filepath.Join(dir, "objects", "pack")
	tmps, err := filepath.Glob(filepath.Join(pack, "tmp_pack_*"))
	if err != nil {
		return err
	}
	idxs, err := filepath.Glob(filepath.Join(pack, "pack-*.idx"))
	if err != nil {
		return err
	}
	for _, idx := range idxs {
		if _, err := os.Stat(strings.TrimSuffix(idx, ".idx") + ".pack"); os.IsNotExist(err) {
			tmps = append(tmps, idx)
		}
	}
	for _, f := range tmps {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}
