//! The checkpoint coordinator as pure decisions: it is told what happens (time passes, tasks
//! acknowledge or decline, tasks finish, the user asks for a savepoint) and answers with what to
//! do. The runtime carries the actions out; storage and threads stay outside.
