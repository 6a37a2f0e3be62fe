//! A spawned `graph-upload` process that is killed and reaped when the guard is dropped, so
//! that a test that panics while it runs leaves no process behind.

use std::ops::{Deref, DerefMut};
use std::process::{Child, Command, Output};

/// A child process, killed (and reaped) on drop unless it was waited for.
#[derive(Debug)]
pub struct ChildGuard(Option<Child>);

impl ChildGuard {
    /// Spawns `command`.
    pub fn spawn(command: &mut Command) -> ChildGuard {
        ChildGuard(Some(command.spawn().expect("spawn graph-upload")))
    }

    /// Waits for the process to exit and collects what is left of its piped output.
    pub fn wait_with_output(mut self) -> std::io::Result<Output> {
        self.0.take().expect("a running child").wait_with_output()
    }
}

impl Deref for ChildGuard {
    type Target = Child;

    fn deref(&self) -> &Child {
        self.0.as_ref().expect("a running child")
    }
}

impl DerefMut for ChildGuard {
    fn deref_mut(&mut self) -> &mut Child {
        self.0.as_mut().expect("a running child")
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}
