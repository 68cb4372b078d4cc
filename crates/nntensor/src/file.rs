//! The workspace's one atomic file write, here at the bottom of the crate graph so that every
//! crate that writes files (`nndata`'s IDX and NumPy files, `nnlayers`' model files, `nntrain`'s
//! histories) shares it.

use std::io::{Error, ErrorKind, Write};
use std::path::Path;

/// Writes `bytes` to `path` so that a crash or a full disk leaves the old file or the new one,
/// never half of one: the bytes go to a new temporary file in the same directory (created with a
/// random name and `O_EXCL` by `tempfile`, so a planted file or link is never written through),
/// which is synced, renamed over `path`, and then the directory is synced so the rename is
/// durable too. The temporary file is removed on every error.
///
/// A missing parent directory is reported as such (`NotFound`, naming the directory), not as
/// the temporary file's name.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("out.bin");
/// nntensor::file::write_atomically(&path, b"new").unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"new");
/// let err = nntensor::file::write_atomically(&dir.path().join("no/such/out.bin"), b"x").unwrap_err();
/// assert!(err.to_string().contains("does not exist"));
/// ```
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if path.file_name().is_none() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "the path names a directory, not a file",
        ));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!(
                "the directory {} does not exist: create it first (std::fs::create_dir_all)",
                dir.display()
            ),
        ));
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix(".nnfacade-tmp-");
    // tempfile creates files readable by their owner only; a saved model gets the permissions
    // `std::fs::write` would give it (0o666 less the umask), or keeps those of the file it replaces.
    let existing = std::fs::metadata(path).ok().map(|m| m.permissions());
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut file = builder.tempfile_in(dir)?;
    if let Some(permissions) = existing {
        // Set after creation: the mode given at creation is narrowed by the umask.
        file.as_file().set_permissions(permissions)?;
    }
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    // Make the rename itself durable where the platform lets a directory be opened and synced.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::write_atomically;

    #[test]
    fn replaces_the_old_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.bin");
        write_atomically(&path, b"old").unwrap();
        write_atomically(&path, b"new contents").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new contents");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.bin")]);
    }

    #[test]
    fn new_files_get_the_permissions_fs_write_gives_and_replaced_files_keep_theirs() {
        let dir = tempfile::tempdir().unwrap();
        let (ours, reference) = (dir.path().join("ours"), dir.path().join("reference"));
        write_atomically(&ours, b"x").unwrap();
        std::fs::write(&reference, b"x").unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions();
        assert_eq!(mode(&ours), mode(&reference));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for kept in [0o640, 0o664] {
                std::fs::set_permissions(&ours, std::fs::Permissions::from_mode(kept)).unwrap();
                write_atomically(&ours, b"y").unwrap();
                assert_eq!(mode(&ours).mode() & 0o777, kept);
            }
        }
    }

    #[test]
    fn a_missing_directory_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let err = write_atomically(&missing.join("m.nnf"), b"x").unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        assert!(
            err.to_string().contains(&missing.display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn a_failed_rename_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        // A non-empty directory at the target: the rename fails.
        let target = dir.path().join("taken");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("x"), b"x").unwrap();
        assert!(write_atomically(&target, b"bytes").is_err());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("taken")]);
    }
}
