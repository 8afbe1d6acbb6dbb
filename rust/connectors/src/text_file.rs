//! Flink's `FileSource.for_record_stream_format(StreamFormat.text_line_format(), *paths)` in
//! bounded mode: every line of every file is one record.
//!
//! [`list_files`] expands the given paths once, when the job is built: a file is taken as is, a
//! directory is read recursively. Inside directories, files and sub-directories whose name starts
//! with `.` or `_` are skipped, as Flink's `DefaultFileFilter` does (hidden files, `_SUCCESS`
//! markers, in-progress part files of a file sink). Paths the user names explicitly are always
//! read. Directory entries are sorted by name so the order is deterministic.
//!
//! The files are assigned round-robin to the parallel subtasks (file `j` to subtask `j % p`); each
//! subtask reads its files in order, line by line through a buffer, as UTF-8. The line terminator
//! (`\n` or `\r\n`) is stripped; a last line without terminator is still a line. Invalid UTF-8
//! fails the job with an error naming the file and line; so does a file that vanished between
//! listing and reading.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use oxflow_core::checkpoint::snapshot::{decode, encode, RestoredState, SnapshotWriter};
use oxflow_core::checkpoint::CheckpointId;
use oxflow_core::data::{DataModel, Record};
use oxflow_core::error::{message, BoxError};
use oxflow_core::operator::TaskInfo;
use oxflow_core::source::{Source, SourceFactory, SourcePoll};

/// Makes a value of the data model from a line (without its terminator).
pub type MakeLine<D> = Arc<dyn Fn(String) -> <D as DataModel>::Value + Send + Sync>;

const READ_BUFFER: usize = 64 * 1024;

fn io_error(path: &Path, what: &str, err: io::Error) -> BoxError {
    if err.kind() == io::ErrorKind::NotFound {
        message(format!("file source: path '{}' does not exist", path.display()))
    } else {
        message(format!("file source: cannot {what} '{}': {err}", path.display()))
    }
}

/// Flink's `DefaultFileFilter`: names starting with `.` or `_` are hidden.
fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .map(|name| {
            let name = name.to_string_lossy();
            name.starts_with('.') || name.starts_with('_')
        })
        .unwrap_or(false)
}

/// Expands `paths` into the files to read: files as given, directories recursively (hidden
/// entries skipped, sorted by name). A missing path is an error naming it.
pub fn list_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, BoxError> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| io_error(path, "read", e))?;
        if meta.is_dir() {
            walk(path, &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), BoxError> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io_error(dir, "list directory", e))? {
        let entry = entry.map_err(|e| io_error(dir, "list directory", e))?;
        entries.push(entry.path());
    }
    entries.sort();
    for path in entries {
        if is_hidden(&path) {
            continue;
        }
        // Follows symbolic links, as reading the file would.
        let meta = match std::fs::metadata(&path) {
            Ok(meta) => meta,
            // Removed while listing, or a dangling link: nothing to read.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_error(&path, "read", e)),
        };
        if meta.is_dir() {
            walk(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

struct OpenFile {
    path: PathBuf,
    reader: BufReader<File>,
    /// Lines read so far (the number of the last line read).
    line: u64,
    /// Bytes read so far: where a restore continues.
    offset: u64,
}

/// What is left of a file: where reading goes on (a checkpoint stores these as the source's
/// splits).
#[derive(serde::Serialize, serde::Deserialize)]
struct FileSplit {
    path: PathBuf,
    offset: u64,
    line: u64,
}

/// One subtask's files, read line by line.
pub struct TextFileSource<D: DataModel> {
    files: std::collections::VecDeque<FileSplit>,
    current: Option<OpenFile>,
    buf: Vec<u8>,
    make: MakeLine<D>,
}

impl<D: DataModel> TextFileSource<D> {
    /// Reads `files` in order.
    pub fn new(files: Vec<PathBuf>, make: MakeLine<D>) -> Self {
        let files = files.into_iter().map(|path| FileSplit { path, offset: 0, line: 0 }).collect();
        TextFileSource { files, current: None, buf: Vec::new(), make }
    }

    /// The next line of the current file (opening the next file as needed), or `None` at the end.
    fn next_line(&mut self) -> Result<Option<String>, BoxError> {
        loop {
            let file = match &mut self.current {
                Some(file) => file,
                None => {
                    let Some(FileSplit { path, offset, line }) = self.files.pop_front() else { return Ok(None) };
                    let mut f = File::open(&path).map_err(|e| io_error(&path, "open", e))?;
                    if offset > 0 {
                        use std::io::{Seek, SeekFrom};
                        f.seek(SeekFrom::Start(offset)).map_err(|e| io_error(&path, "seek in", e))?;
                    }
                    self.current.insert(OpenFile { path, reader: BufReader::with_capacity(READ_BUFFER, f), line, offset })
                }
            };
            self.buf.clear();
            let n = file.reader.read_until(b'\n', &mut self.buf).map_err(|e| {
                message(format!("file source: cannot read '{}' at line {}: {e}", file.path.display(), file.line + 1))
            })?;
            if n == 0 {
                self.current = None;
                continue;
            }
            file.line += 1;
            file.offset += n as u64;
            if self.buf.last() == Some(&b'\n') {
                self.buf.pop();
                if self.buf.last() == Some(&b'\r') {
                    self.buf.pop();
                }
            }
            let bytes = std::mem::take(&mut self.buf);
            return match String::from_utf8(bytes) {
                Ok(line) => Ok(Some(line)),
                Err(e) => Err(message(format!(
                    "file source: '{}' line {} is not valid UTF-8: {}",
                    file.path.display(),
                    file.line,
                    e.utf8_error()
                ))),
            };
        }
    }
}

impl<D: DataModel> Source<D> for TextFileSource<D> {
    fn poll(&mut self, max_records: usize) -> Result<SourcePoll<D>, BoxError> {
        let max_records = max_records.max(1);
        let mut out = Vec::new();
        while out.len() < max_records {
            match self.next_line()? {
                Some(line) => out.push(Record::new((self.make)(line))),
                None => break,
            }
        }
        if out.is_empty() {
            Ok(SourcePoll::Finished)
        } else {
            Ok(SourcePoll::Records(out))
        }
    }

    fn close(&mut self) -> Result<(), BoxError> {
        self.current = None;
        Ok(())
    }

    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, D>) -> Result<(), BoxError> {
        if let Some(f) = &self.current {
            state.list(encode(&FileSplit { path: f.path.clone(), offset: f.offset, line: f.line })?);
        }
        for split in &self.files {
            state.list(encode(split)?);
        }
        Ok(())
    }

    fn restore_state(&mut self, state: RestoredState<D>) -> Result<(), BoxError> {
        self.current = None;
        self.files = state.list.iter().map(|s| decode(s, "file split")).collect::<Result<_, _>>()?;
        Ok(())
    }
}

/// The files subtask `index` of `parallelism` reads: file `j` goes to subtask `j % parallelism`.
pub fn assign(files: &[PathBuf], index: usize, parallelism: usize) -> Vec<PathBuf> {
    let parallelism = parallelism.max(1);
    files.iter().skip(index).step_by(parallelism).cloned().collect()
}

/// Creates each subtask's source over its round-robin share of `files` (from [`list_files`]).
pub fn factory<D: DataModel>(files: Vec<PathBuf>, make: MakeLine<D>) -> SourceFactory<D> {
    let files = Arc::new(files);
    Box::new(move |task: &TaskInfo| {
        let mine = assign(&files, task.subtask_index, task.parallelism);
        Ok(Box::new(TextFileSource::<D>::new(mine, make.clone())) as Box<dyn Source<D>>)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{drain, task, Strings};
    use std::fs;

    fn make() -> MakeLine<Strings> {
        Arc::new(|line| line)
    }

    fn read_all(files: Vec<PathBuf>, p: usize, max: usize) -> Vec<Vec<Vec<String>>> {
        let f = factory::<Strings>(files, make());
        (0..p).map(|i| drain(f(&task(i, p)).unwrap().as_mut(), max).unwrap()).collect()
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_lines_stripping_terminators() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        fs::write(&a, "one\ntwo\r\n\nlast without newline").unwrap();
        let b = dir.path().join("b.txt");
        fs::write(&b, "x\r\ny\n").unwrap();
        let empty = dir.path().join("empty.txt");
        fs::write(&empty, "").unwrap();
        let files = list_files(&[a, empty, b]).unwrap();
        let got = read_all(files, 1, 3);
        assert_eq!(
            got,
            vec![vec![strs(&["one", "two", ""]), strs(&["last without newline", "x", "y"])]],
            "batches span files"
        );
    }

    #[test]
    fn unicode_and_long_lines() {
        let dir = tempfile::tempdir().unwrap();
        let long = "é".repeat(100_000);
        let path = dir.path().join("u.txt");
        fs::write(&path, format!("héllo wörld ✓\n{long}\n")).unwrap();
        let got = read_all(vec![path], 1, 10);
        assert_eq!(got, vec![vec![vec!["héllo wörld ✓".to_string(), long]]]);
    }

    #[test]
    fn directories_are_recursive_sorted_and_skip_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("sub/deeper")).unwrap();
        fs::create_dir_all(root.join(".hidden_dir")).unwrap();
        fs::create_dir_all(root.join("_tmp")).unwrap();
        for name in ["b.txt", "a.txt", ".hidden", "_SUCCESS", "sub/c.txt", "sub/deeper/d.txt", ".hidden_dir/e.txt", "_tmp/f.txt"] {
            fs::write(root.join(name), format!("{name}\n")).unwrap();
        }
        let files = list_files(&[root.to_path_buf()]).unwrap();
        let rel: Vec<String> =
            files.iter().map(|f| f.strip_prefix(root).unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(rel, ["a.txt", "b.txt", "sub/c.txt", "sub/deeper/d.txt"]);

        // An explicitly named file is read even if its name looks hidden.
        let explicit = list_files(&[root.join("_SUCCESS"), root.join("a.txt")]).unwrap();
        assert_eq!(explicit, vec![root.join("_SUCCESS"), root.join("a.txt")]);
    }

    #[test]
    fn files_are_assigned_round_robin() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..5 {
            fs::write(dir.path().join(format!("f{i}.txt")), format!("{i}a\n{i}b\n")).unwrap();
        }
        let files = list_files(&[dir.path().to_path_buf()]).unwrap();
        let got: Vec<Vec<String>> = read_all(files, 2, 100).into_iter().map(|b| b.concat()).collect();
        assert_eq!(got[0], strs(&["0a", "0b", "2a", "2b", "4a", "4b"]));
        assert_eq!(got[1], strs(&["1a", "1b", "3a", "3b"]));
        // More subtasks than files: the extra ones finish at once.
        let files = list_files(&[dir.path().join("f0.txt")]).unwrap();
        let got = read_all(files, 3, 100);
        assert_eq!(got, vec![vec![strs(&["0a", "0b"])], vec![], vec![]]);
    }

    #[test]
    fn restores_files_and_offsets_at_another_parallelism() {
        use oxflow_core::checkpoint::snapshot::OperatorSnapshot;
        let dir = tempfile::tempdir().unwrap();
        let mut expected = Vec::new();
        for f in 0..3 {
            let lines: Vec<String> = (0..5).map(|l| format!("f{f}-l{l}")).collect();
            fs::write(dir.path().join(format!("{f}.txt")), lines.join("\n") + "\n").unwrap();
            expected.extend(lines);
        }
        let files = list_files(&[dir.path().to_path_buf()]).unwrap();
        let f = factory::<Strings>(files, make());
        let mut seen = Vec::new();
        let mut snapshots = Vec::new();
        for i in 0..2 {
            let mut s = f(&task(i, 2)).unwrap();
            if let SourcePoll::Records(r) = s.poll(3).unwrap() {
                seen.extend(r.into_iter().map(|r| r.value));
            }
            let mut snap = OperatorSnapshot::default();
            s.snapshot_state(1, &mut SnapshotWriter::new(&mut snap)).unwrap();
            snapshots.push(snap);
        }
        let mut s = f(&task(0, 1)).unwrap();
        s.restore_state(RestoredState::share(&snapshots, 0, 1, 128).unwrap()).unwrap();
        seen.extend(drain(s.as_mut(), 4).unwrap().concat());
        seen.sort();
        expected.sort();
        assert_eq!(seen, expected, "every line exactly once");
    }

    #[test]
    fn missing_path_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let err = list_files(std::slice::from_ref(&missing)).unwrap_err().to_string();
        assert_eq!(err, format!("file source: path '{}' does not exist", missing.display()));
    }

    #[test]
    fn vanished_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gone.txt");
        fs::write(&path, "x\n").unwrap();
        let files = list_files(std::slice::from_ref(&path)).unwrap();
        fs::remove_file(&path).unwrap();
        let f = factory::<Strings>(files, make());
        let err = drain(f(&task(0, 1)).unwrap().as_mut(), 10).unwrap_err().to_string();
        assert_eq!(err, format!("file source: path '{}' does not exist", path.display()));
    }

    #[test]
    fn invalid_utf8_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.txt");
        fs::write(&path, b"ok\nfine\nbad \xff byte\n").unwrap();
        let f = factory::<Strings>(vec![path.clone()], make());
        let mut source = f(&task(0, 1)).unwrap();
        // The lines before the bad one are delivered.
        match source.poll(2).unwrap() {
            SourcePoll::Records(r) => {
                assert_eq!(r.into_iter().map(|r| r.value).collect::<Vec<_>>(), strs(&["ok", "fine"]))
            }
            _ => panic!("expected records"),
        }
        let err = source.poll(2).err().expect("invalid UTF-8 fails").to_string();
        assert!(err.contains(&format!("'{}' line 3 is not valid UTF-8", path.display())), "{err}");
    }
}
