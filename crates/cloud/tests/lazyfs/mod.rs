//! A FUSE filesystem in memory that models a disk with a volatile write cache, the way Jepsen's
//! LazyFS does: every `write` lands in the file's current content at once (so the writing
//! process reads it back), but only `fsync`/`fdatasync` of that file makes it durable. A
//! [`LazyFs::power_cut`] throws away everything written since a file's last sync: each file
//! goes back to its content and size at that sync (a file never synced comes back empty).
//!
//! Names (create, mkdir, rename, unlink), modes and owners are durable at once, as LazyFS has
//! them; the model is about file data, which is where a database keeps its promises.
//!
//! The kernel's page cache of the mount would hide a cut from the next reader, so a cut
//! unmounts (every process using the mount must be dead by then), drops the unsynced data and
//! mounts the same tree again, with a cold cache.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use fuser::{
    BackgroundSession, Config, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags,
    Generation, INodeNo, LockOwner, MountOption, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate,
    ReplyData, ReplyDirectory, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, Request,
    TimeOrNow, WriteFlags,
};

const PAGE: u64 = 4096;
const TTL: Duration = Duration::from_secs(1);

struct Node {
    kind: FileType,
    perm: u16,
    uid: u32,
    gid: u32,
    nlink: u32,
    mtime: SystemTime,
    ctime: SystemTime,
    /// What readers see.
    data: Vec<u8>,
    /// What survives a power cut: the content at the last fsync.
    synced: Vec<u8>,
    /// Pages of `data` written since the last fsync.
    dirty: BTreeSet<u64>,
    /// Directory entries (directories only).
    entries: BTreeMap<OsString, u64>,
    parent: u64,
}

impl Node {
    fn new(kind: FileType, perm: u16, uid: u32, gid: u32, parent: u64) -> Node {
        let now = SystemTime::now();
        Node {
            kind,
            perm,
            uid,
            gid,
            nlink: if kind == FileType::Directory { 2 } else { 1 },
            mtime: now,
            ctime: now,
            data: Vec::new(),
            synced: Vec::new(),
            dirty: BTreeSet::new(),
            entries: BTreeMap::new(),
            parent,
        }
    }

    fn attr(&self, ino: u64) -> FileAttr {
        let size = if self.kind == FileType::Directory {
            4096
        } else {
            self.data.len() as u64
        };
        FileAttr {
            ino: INodeNo(ino),
            size,
            blocks: size.div_ceil(512),
            atime: self.mtime,
            mtime: self.mtime,
            ctime: self.ctime,
            crtime: self.ctime,
            kind: self.kind,
            perm: self.perm,
            nlink: self.nlink,
            uid: self.uid,
            gid: self.gid,
            rdev: 0,
            flags: 0,
            blksize: PAGE as u32,
        }
    }

    fn mark(&mut self, from: u64, to: u64) {
        if to > from {
            self.dirty.extend(from / PAGE..=(to - 1) / PAGE);
        }
    }

    fn unsynced(&self) -> bool {
        !self.dirty.is_empty() || self.data.len() != self.synced.len()
    }
}

/// What a power cut threw away.
#[derive(Debug, Default, Clone)]
pub struct Cut {
    /// Files that had data written since their last sync, by path, with the unsynced pages.
    pub files: BTreeMap<String, usize>,
    /// Unsynced pages dropped in all.
    pub pages: usize,
    /// Writes and syncs the filesystem served since it was mounted.
    pub served: Stats,
}

/// Counters since a mount.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub writes: u64,
    pub syncs: u64,
}

struct State {
    nodes: HashMap<u64, Node>,
    next: u64,
    stats: Stats,
}

impl State {
    fn path_of(&self, mut ino: u64) -> String {
        let mut parts = Vec::new();
        while ino != 1 {
            let Some(node) = self.nodes.get(&ino) else {
                break;
            };
            let parent = &self.nodes[&node.parent];
            match parent.entries.iter().find(|(_, i)| **i == ino) {
                Some((name, _)) => parts.push(name.to_string_lossy().into_owned()),
                None => {
                    parts.push(format!("<unlinked {ino}>"));
                    break;
                }
            }
            ino = node.parent;
        }
        parts.reverse();
        parts.join("/")
    }

    fn add(&mut self, parent: u64, name: &OsStr, node: Node) -> Result<(u64, FileAttr), Errno> {
        let dir = self.nodes.get(&parent).ok_or(Errno::ENOENT)?;
        if dir.kind != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        if dir.entries.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        let ino = self.next;
        self.next += 1;
        let is_dir = node.kind == FileType::Directory;
        let attr = node.attr(ino);
        self.nodes.insert(ino, node);
        let dir = self.nodes.get_mut(&parent).unwrap();
        dir.entries.insert(name.to_owned(), ino);
        if is_dir {
            dir.nlink += 1;
        }
        dir.mtime = SystemTime::now();
        Ok((ino, attr))
    }
}

struct Fs(Arc<Mutex<State>>);

impl Fs {
    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap()
    }
}

fn perm(mode: u32, umask: u32) -> u16 {
    (mode & !umask & 0o7777) as u16
}

impl Filesystem for Fs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let st = self.state();
        let found = st
            .nodes
            .get(&parent.0)
            .and_then(|d| d.entries.get(name))
            .and_then(|i| st.nodes.get(i).map(|n| n.attr(*i)));
        match found {
            Some(attr) => reply.entry(&TTL, &attr, Generation(0)),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        match self.state().nodes.get(&ino.0) {
            Some(n) => reply.attr(&TTL, &n.attr(ino.0)),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        _atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let mut st = self.state();
        let Some(n) = st.nodes.get_mut(&ino.0) else {
            return reply.error(Errno::ENOENT);
        };
        if let Some(m) = mode {
            n.perm = (m & 0o7777) as u16;
        }
        if let Some(u) = uid {
            n.uid = u;
        }
        if let Some(g) = gid {
            n.gid = g;
        }
        if let Some(s) = size {
            if n.kind == FileType::Directory {
                return reply.error(Errno::EISDIR);
            }
            let old = n.data.len() as u64;
            n.data.resize(s as usize, 0);
            n.mark(old.min(s), old.max(s));
            n.mtime = SystemTime::now();
        }
        match mtime {
            Some(TimeOrNow::SpecificTime(t)) => n.mtime = t,
            Some(TimeOrNow::Now) => n.mtime = SystemTime::now(),
            None => {}
        }
        n.ctime = SystemTime::now();
        reply.attr(&TTL, &n.attr(ino.0));
    }

    fn mkdir(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        reply: ReplyEntry,
    ) {
        let node = Node::new(
            FileType::Directory,
            perm(mode, umask),
            req.uid(),
            req.gid(),
            parent.0,
        );
        match self.state().add(parent.0, name, node) {
            Ok((_, attr)) => reply.entry(&TTL, &attr, Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn create(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        let node = Node::new(
            FileType::RegularFile,
            perm(mode, umask),
            req.uid(),
            req.gid(),
            parent.0,
        );
        match self.state().add(parent.0, name, node) {
            Ok((ino, attr)) => reply.created(
                &TTL,
                &attr,
                Generation(0),
                FileHandle(ino),
                FopenFlags::empty(),
            ),
            Err(e) => reply.error(e),
        }
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let mut st = self.state();
        let Some(ino) = st
            .nodes
            .get_mut(&parent.0)
            .and_then(|d| d.entries.remove(name))
        else {
            return reply.error(Errno::ENOENT);
        };
        if let Some(n) = st.nodes.get_mut(&ino) {
            n.nlink = n.nlink.saturating_sub(1);
            n.ctime = SystemTime::now();
        }
        reply.ok();
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let mut st = self.state();
        let Some(&ino) = st.nodes.get(&parent.0).and_then(|d| d.entries.get(name)) else {
            return reply.error(Errno::ENOENT);
        };
        let child = &st.nodes[&ino];
        if child.kind != FileType::Directory {
            return reply.error(Errno::ENOTDIR);
        }
        if !child.entries.is_empty() {
            return reply.error(Errno::ENOTEMPTY);
        }
        let dir = st.nodes.get_mut(&parent.0).unwrap();
        dir.entries.remove(name);
        dir.nlink -= 1;
        st.nodes.remove(&ino);
        reply.ok();
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        let mut st = self.state();
        if !flags.is_empty() && flags != RenameFlags::RENAME_NOREPLACE {
            return reply.error(Errno::EINVAL);
        }
        let Some(&ino) = st.nodes.get(&parent.0).and_then(|d| d.entries.get(name)) else {
            return reply.error(Errno::ENOENT);
        };
        let Some(target_dir) = st.nodes.get(&newparent.0) else {
            return reply.error(Errno::ENOENT);
        };
        if let Some(&old) = target_dir.entries.get(newname) {
            if old == ino {
                return reply.ok();
            }
            if flags == RenameFlags::RENAME_NOREPLACE {
                return reply.error(Errno::EEXIST);
            }
            let old_node = &st.nodes[&old];
            if old_node.kind == FileType::Directory && !old_node.entries.is_empty() {
                return reply.error(Errno::ENOTEMPTY);
            }
            if let Some(n) = st.nodes.get_mut(&old) {
                n.nlink = n.nlink.saturating_sub(1);
            }
        }
        let is_dir = st.nodes[&ino].kind == FileType::Directory;
        let src = st.nodes.get_mut(&parent.0).unwrap();
        src.entries.remove(name);
        if is_dir {
            src.nlink -= 1;
        }
        let dst = st.nodes.get_mut(&newparent.0).unwrap();
        dst.entries.insert(newname.to_owned(), ino);
        if is_dir {
            dst.nlink += 1;
        }
        let n = st.nodes.get_mut(&ino).unwrap();
        n.parent = newparent.0;
        n.ctime = SystemTime::now();
        reply.ok();
    }

    fn open(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        if self.state().nodes.contains_key(&ino.0) {
            reply.opened(FileHandle(ino.0), FopenFlags::empty());
        } else {
            reply.error(Errno::ENOENT);
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let st = self.state();
        let Some(n) = st.nodes.get(&ino.0) else {
            return reply.error(Errno::ENOENT);
        };
        let len = n.data.len();
        let start = (offset as usize).min(len);
        let end = (start + size as usize).min(len);
        reply.data(&n.data[start..end]);
    }

    fn write(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        let mut st = self.state();
        st.stats.writes += 1;
        let Some(n) = st.nodes.get_mut(&ino.0) else {
            return reply.error(Errno::ENOENT);
        };
        let start = offset as usize;
        let end = start + data.len();
        let old = n.data.len();
        if end > old {
            n.data.resize(end, 0);
        }
        n.data[start..end].copy_from_slice(data);
        n.mark((old as u64).min(offset), end as u64);
        n.mtime = SystemTime::now();
        reply.written(data.len() as u32);
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        reply.ok();
    }

    fn fsync(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        let mut st = self.state();
        st.stats.syncs += 1;
        let Some(n) = st.nodes.get_mut(&ino.0) else {
            return reply.error(Errno::ENOENT);
        };
        let len = n.data.len();
        n.synced.resize(len, 0);
        for page in std::mem::take(&mut n.dirty) {
            let from = (page * PAGE) as usize;
            if from >= len {
                break;
            }
            let to = (from + PAGE as usize).min(len);
            n.synced[from..to].copy_from_slice(&n.data[from..to]);
        }
        reply.ok();
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let st = self.state();
        let Some(dir) = st.nodes.get(&ino.0) else {
            return reply.error(Errno::ENOENT);
        };
        let mut all = vec![
            (ino.0, FileType::Directory, OsString::from(".")),
            (dir.parent, FileType::Directory, OsString::from("..")),
        ];
        for (name, i) in &dir.entries {
            all.push((*i, st.nodes[i].kind, name.clone()));
        }
        for (k, (i, kind, name)) in all.into_iter().enumerate().skip(offset as usize) {
            if reply.add(INodeNo(i), (k + 1) as u64, kind, &name) {
                break;
            }
        }
        reply.ok();
    }

    fn fsyncdir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        // Names are durable at once in this model.
        reply.ok();
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        reply.statfs(
            1 << 24,
            1 << 23,
            1 << 23,
            1 << 20,
            1 << 19,
            PAGE as u32,
            255,
            PAGE as u32,
        );
    }

    fn access(&self, _req: &Request, _ino: INodeNo, _mask: fuser::AccessFlags, reply: ReplyEmpty) {
        reply.ok();
    }

    fn fallocate(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _offset: u64,
        _length: u64,
        _mode: i32,
        reply: ReplyEmpty,
    ) {
        reply.error(Errno::from_i32(libc::EOPNOTSUPP));
    }
}

/// Processes with a file or working directory under `dir` (pid, what), to say who keeps a
/// mount busy.
fn holders(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return found;
    };
    for p in procs.flatten() {
        let pid = p.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let mut links: Vec<PathBuf> = vec![p.path().join("cwd")];
        if let Ok(fds) = std::fs::read_dir(p.path().join("fd")) {
            links.extend(fds.flatten().map(|f| f.path()));
        }
        for link in links {
            let Ok(target) = std::fs::read_link(&link) else {
                continue;
            };
            if target.starts_with(dir) {
                let comm = std::fs::read_to_string(p.path().join("comm")).unwrap_or_default();
                found.push((
                    format!("{pid} {}", comm.trim()),
                    target.display().to_string(),
                ));
            }
        }
    }
    found
}

/// A mounted lazy filesystem; unmounted on drop.
pub struct LazyFs {
    state: Arc<Mutex<State>>,
    mountpoint: PathBuf,
    session: Option<BackgroundSession>,
}

impl LazyFs {
    /// Mounts an empty lazy filesystem at `mountpoint` (an existing empty directory).
    /// Needs /dev/fuse and the right to mount (root, or fusermount3).
    pub fn mount(mountpoint: &Path) -> io::Result<LazyFs> {
        let mut root = Node::new(FileType::Directory, 0o755, 0, 0, 1);
        // SAFETY: getuid/getgid cannot fail.
        unsafe {
            root.uid = libc::getuid();
            root.gid = libc::getgid();
        }
        let state = State {
            nodes: HashMap::from([(1, root)]),
            next: 2,
            stats: Stats::default(),
        };
        let mut fs = LazyFs {
            state: Arc::new(Mutex::new(state)),
            mountpoint: mountpoint.to_owned(),
            session: None,
        };
        fs.attach()?;
        Ok(fs)
    }

    fn attach(&mut self) -> io::Result<()> {
        let mut config = Config::default();
        config.mount_options = vec![
            MountOption::FSName("lazyfs".into()),
            MountOption::Subtype("lazyfs".into()),
            MountOption::RW,
        ];
        config.n_threads = Some(2);
        let session = fuser::spawn_mount(Fs(self.state.clone()), &self.mountpoint, &config)?;
        self.session = Some(session);
        Ok(())
    }

    fn detach(&mut self) -> io::Result<()> {
        let Some(session) = self.session.take() else {
            return Ok(());
        };
        let path = std::ffi::CString::new(self.mountpoint.as_os_str().as_bytes()).unwrap();
        // Processes killed a moment ago may still be closing their files: EBUSY until then.
        let mut tries = 0;
        loop {
            // SAFETY: umount2(2) with a NUL-terminated path.
            if unsafe { libc::umount2(path.as_ptr(), 0) } == 0 {
                break;
            }
            let err = io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EBUSY) || tries == 600 {
                self.session = Some(session);
                return Err(io::Error::new(
                    err.kind(),
                    format!("{err}; held by: {:?}", holders(&self.mountpoint)),
                ));
            }
            tries += 1;
            std::thread::sleep(Duration::from_millis(50));
        }
        session.join()
    }

    /// The power cut: unmounts (every process using the mount must have been killed), puts
    /// every file back to its content at its last sync, and mounts again with a cold cache.
    pub fn power_cut(&mut self) -> io::Result<Cut> {
        self.detach()?;
        let mut cut = Cut::default();
        {
            let mut st = self.state.lock().unwrap();
            let inos: Vec<u64> = st
                .nodes
                .iter()
                .filter(|(_, n)| n.kind == FileType::RegularFile && n.unsynced())
                .map(|(i, _)| *i)
                .collect();
            for ino in inos {
                let path = st.path_of(ino);
                let n = st.nodes.get_mut(&ino).unwrap();
                let pages = n.dirty.len().max(1);
                n.data = n.synced.clone();
                n.dirty.clear();
                cut.pages += pages;
                cut.files.insert(path, pages);
            }
            cut.served = std::mem::take(&mut st.stats);
        }
        self.attach()?;
        Ok(cut)
    }
}

impl Drop for LazyFs {
    fn drop(&mut self) {
        if let Err(e) = self.detach() {
            eprintln!(
                "lazyfs: unmounting {}: {e}; detaching it lazily",
                self.mountpoint.display()
            );
            // The mount goes once its last user lets go; the serving thread ends then.
            let path = std::ffi::CString::new(self.mountpoint.as_os_str().as_bytes()).unwrap();
            // SAFETY: umount2(2) with a NUL-terminated path.
            unsafe { libc::umount2(path.as_ptr(), libc::MNT_DETACH) };
            if let Some(session) = self.session.take() {
                std::mem::forget(session);
            }
        }
    }
}
