/* The @recogito/text-annotator UMD bundle (4.1.1) still reads process.env.NODE_ENV (from its
   nanostores dependency), which a bundler would have replaced; essaim serves the bundle as
   published, without a bundler, so the page defines that one value first. */
window.process = window.process || { env: { NODE_ENV: "production" } };
