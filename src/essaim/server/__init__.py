"""The web layer: ``essaim serve``. Import ``essaim.server.app`` for the application; this
package's own import stays light, since query workers import ``essaim.server.worker``."""
