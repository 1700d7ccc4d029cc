"""The web layer: ``essaim serve``. Import ``essaim.web.app`` for the application; this
package's own import stays light, since query workers import ``essaim.web.worker``."""
