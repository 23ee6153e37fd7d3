/** Packages the browser build leaves out (sharp, tfjs-node, the tfjs wasm backend): importing one fails. */
throw new Error('not part of the browser build');
