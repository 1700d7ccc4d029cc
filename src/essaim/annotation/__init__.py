"""The annotation workflow: coders' Web Annotations on case documents, kept in a private store
beside the public dataset until adjudicated (``model``: the annotation and its RDF;
``storage``: the private store; ``anchoring``: re-anchoring by quote; ``checks``: what an
annotation must satisfy against the public dataset)."""
