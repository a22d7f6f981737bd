// The t2 executable: everything lives in the T2Commands library so that it can be tested in-process.
import T2Commands

await T2Command.runMain()
